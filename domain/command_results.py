"""What a command wrote: the result every application service returns.

A module of its own so that the command mixins (`domain/*_commands.py`) and the
application that combines them import it at the top, without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class CommandResult:
    """What a command wrote: the item and the log position of its last event."""

    id: UUID
    position: int | None
    changed: bool = True
