"""The short form of `make chaos`: about a minute of mixed GraphQL load on `rectify run`
while its processes are killed with SIGKILL, then every check of the harness (chaos/):
nothing acknowledged lost or applied twice, each milestone once and none missing, every
open dated item with a running clock, the read models equal to a rebuild, and no step by
hand. The seed is printed; `python -m chaos --seed N --minutes 1` replays the choices.

TARGETS lists what `rectify run` claims to survive within the settle time: every role,
the Temporal dev server, the dev server back without its database (`temporal-state`: the
dispatcher sees the new namespace within 10 s and re-creates the lost clocks) and the
embedded PostgreSQL.
"""

from __future__ import annotations

import os
import random

import pytest

from chaos.run import run
from chaos.system import POSTGRES, ROLES, TEMPORAL, TEMPORAL_STATE

pytestmark = pytest.mark.e2e

TARGETS = [*ROLES, TEMPORAL, TEMPORAL_STATE, POSTGRES]
LOAD_SECONDS = 60.0
KILLS = len(TARGETS)  # each once


def test_killed_processes_lose_nothing_acknowledged_and_the_system_recovers_alone(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1, 10**6))
    print(f"chaos seed {seed} (CHAOS_SEED={seed} replays it)")

    report = run(
        seed, LOAD_SECONDS, KILLS, TARGETS, home=tmp_path_factory.mktemp("chaos"), settle=45
    )

    print(report.text())
    assert report.ok, report.text()
    assert sum(report.counts["kills"].values()) == KILLS
    mutations = report.counts["mutations"]
    assert mutations["acknowledged"] > 0
    assert mutations["found"] == mutations["acknowledged"]
