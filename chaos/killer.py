"""Kills, at seeded random moments, one target at a time with SIGKILL (no goodbye).

The targets are taken in a shuffled round, so with at least as many kills as targets every
one is hit. Before each kill the target must be up again (the supervisor restarts what it
owns): one that is not back within RECOVERY_SECONDS is reported, as no person may be
needed to bring it back.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from chaos.system import TEMPORAL_STATE, System

RECOVERY_SECONDS = 60.0


@dataclass
class Kill:
    at: float  # seconds since the load started
    target: str
    pid: int


@dataclass
class Killer:
    system: System
    targets: list[str]
    kills: int
    seed: int
    done: list[Kill] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def plan(self, seconds: float) -> list[tuple[float, str]]:
        """(moment, target) pairs: moments spread over the load's first 85 %, after a
        warm-up, so the last kill still has time to be recovered from under load."""
        rng = random.Random(self.seed)
        order: list[str] = []
        while len(order) < self.kills:
            round_ = list(self.targets)
            rng.shuffle(round_)
            order += round_
        moments = sorted(rng.uniform(0.1 * seconds, 0.85 * seconds) for _ in range(self.kills))
        return list(zip(moments, order[: self.kills], strict=True))

    def run(self, seconds: float) -> None:
        started = time.monotonic()
        for moment, target in self.plan(seconds):
            if self.stop.wait(max(0.0, started + moment - time.monotonic())):
                return
            pid = self._wait_for(target)
            if not self.system.running():
                self.problems.append(f"rectify run had exited before {target} was to be killed")
                return
            if pid is None:
                self.problems.append(
                    f"{target}: not running {RECOVERY_SECONDS:.0f} s after it was due to be"
                    " killed (not restarted?)"
                )
                continue
            if target == TEMPORAL_STATE:
                self.system.forget_temporal_state()
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            self.done.append(Kill(round(time.monotonic() - started, 1), target, pid))

    def _wait_for(self, target: str) -> int | None:
        deadline = time.monotonic() + RECOVERY_SECONDS
        while time.monotonic() < deadline and not self.stop.is_set():
            pid = self.system.pid_of(target)
            if pid is not None:
                return pid
            if not self.system.running():
                return None
            time.sleep(0.5)
        return None

    def counts(self) -> dict[str, int]:
        found = Counter(kill.target for kill in self.done)
        return {target: found.get(target, 0) for target in self.targets}
