"""Every checkpoint's digest recomputed from the hash rows, fed in log order: verify's pass
2 (docs/decisions/0009, 0025). The rows come from the log-order pass when every chain held
(docs/decisions/0072), else from the hash table itself."""

from __future__ import annotations

from infrastructure.audit_queries import Checkpoint
from infrastructure.event_hashes import GENESIS, checkpoint_digest, fold_log


class CheckpointFold:
    """Feed it the hash rows in notification-id order, those in (0, upto] only; `finish`
    gives each checkpoint (in seq order) with the digest the rows recompute for it."""

    def __init__(self, checkpoints: list[Checkpoint]) -> None:
        self._pending = iter(checkpoints)
        self._target = next(self._pending, None)
        # up to the furthest checkpoint only: nothing after it is folded into any
        self.upto = max((c.position for c in checkpoints), default=0)
        self._digest = GENESIS
        self._events = 0
        self._chained = GENESIS
        self._recomputed: list[tuple[Checkpoint, bytes]] = []

    def add(self, position: int, hash_: bytes) -> None:
        target = self._target
        while target is not None and position > target.position:
            self._settle(target)
            target = self._target = next(self._pending, None)
        if target is None:
            return  # past every checkpoint: nothing more to fold
        self._digest = fold_log(self._digest, position, hash_)
        self._events += 1

    def finish(self) -> list[tuple[Checkpoint, bytes]]:
        while self._target is not None:
            self._settle(self._target)
            self._target = next(self._pending, None)
        return self._recomputed

    def _settle(self, checkpoint: Checkpoint) -> None:
        recomputed = checkpoint_digest(
            self._chained,
            checkpoint.seq,
            checkpoint.position,
            self._events,
            checkpoint.taken_at,
            self._digest,
        )
        self._recomputed.append((checkpoint, recomputed))
        self._chained = recomputed
