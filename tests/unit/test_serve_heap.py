"""`rectify serve` freezes what it built at start-up (ADR 0073), so the cyclic
collector's full passes skip it."""

from __future__ import annotations

import gc
import weakref

from rectify.cli import keep_out_of_full_collections


def test_what_exists_at_start_up_is_frozen_and_garbage_is_collected_first() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    garbage = weakref.ref(Cycle())  # unreachable, but only the cyclic collector frees it
    try:
        keep_out_of_full_collections()
        assert gc.get_freeze_count() > 0
        assert garbage() is None  # freed, not frozen
    finally:
        gc.unfreeze()
