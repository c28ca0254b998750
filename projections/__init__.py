"""Read models of the ledger, fed from the event log with exactly-once tracking."""

from projections.runner import (
    catch_up,
    projection_position,
    rebuild_projections,
    run_projections,
)

__all__ = ["catch_up", "projection_position", "rebuild_projections", "run_projections"]
