"""The chaos harness's own judgement, on logs made up here: each check finds what it is
there to find (a harness whose checks cannot fail would prove nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID, uuid4

from chaos.checks import Log, _differences, acknowledged, duplicated_milestones
from chaos.killer import Killer
from chaos.load import Outcome
from chaos.system import TARGETS, System


@dataclass
class ProgressReported:
    originator_id: UUID
    text: str


@dataclass
class OverdueRecorded:
    originator_id: UUID
    key: str


def log_of(*events: Any) -> Log:
    log = Log()
    for position, event in enumerate(events, start=1):
        log.events[position] = event
        log.texts[position] = repr(vars(event))
    return log


def acked(marker: str, position: int, attempts: int = 1) -> Outcome:
    return Outcome("progress", marker, "key", None, "acknowledged", position, attempts)


def killer(kills: int, seed: int) -> Killer:
    return Killer(cast(System, None), list(TARGETS), kills, seed)


def test_the_kill_plan_hits_every_target_when_there_are_as_many_kills() -> None:
    plan = killer(len(TARGETS), 3).plan(60)

    assert sorted(target for _, target in plan) == sorted(TARGETS)
    assert all(6 <= moment <= 51 for moment, _ in plan)


def test_the_same_seed_gives_the_same_kill_plan_and_another_seed_another() -> None:
    assert killer(12, 5).plan(60) == killer(12, 5).plan(60)
    assert killer(12, 5).plan(60) != killer(12, 6).plan(60)


def test_an_acknowledged_mutation_found_at_its_position_passes() -> None:
    item = uuid4()
    log = log_of(ProgressReported(item, "进展混沌进展-s1-n1"))

    counts, problems = acknowledged([acked("混沌进展-s1-n1", 1)], log)

    assert problems == []
    assert counts["acknowledged"] == counts["found"] == 1


def test_an_acknowledged_mutation_not_at_its_position_is_reported() -> None:
    item = uuid4()
    log = log_of(ProgressReported(item, "进展混沌进展-s1-n1"))

    counts, problems = acknowledged([acked("混沌进展-s1-n2", 1), acked("混沌进展-s1-n1", 7)], log)

    assert counts["found"] == 0
    assert len(problems) == 2
    assert "混沌进展-s1-n2" in problems[0] and "position 1" in problems[0]
    assert "nothing" in problems[1]


def test_a_mutation_applied_twice_is_reported() -> None:
    item = uuid4()
    log = log_of(ProgressReported(item, "混沌进展-s1-n1"), ProgressReported(item, "混沌进展-s1-n1"))

    _, problems = acknowledged([acked("混沌进展-s1-n1", 2, attempts=2)], log)

    assert problems == [
        "progress 混沌进展-s1-n1: applied 2 times (ProgressReported; retried 1 times)"
    ]


def test_a_retry_refused_for_what_the_first_attempt_stored_is_reported() -> None:
    log = log_of(ProgressReported(uuid4(), "问题混沌登记-s1-n1"))
    refused = Outcome("register", "混沌登记-s1-n1", "key", None, "refused:InvalidInput", None, 2)
    refused.errors, refused.refusal = ["HTTP 503"], "number: already in this campaign"

    counts, problems = acknowledged([refused], log)

    assert counts["refused on retry but stored"] == 1
    assert "already in this campaign" in problems[0] and "HTTP 503" in problems[0]


def test_an_unanswered_mutation_is_reported_and_counted_if_stored() -> None:
    log = log_of(ProgressReported(uuid4(), "混沌进展-s1-n1"))
    lost = Outcome("progress", "混沌进展-s1-n1", "key", None, attempts=9, errors=["ConnectError"])

    counts, problems = acknowledged([lost], log)

    assert counts["unanswered but stored"] == 1
    assert "no answer after 9 attempts (last: ConnectError)" in problems[0]


def test_a_milestone_recorded_twice_for_one_item_is_reported() -> None:
    one, other = uuid4(), uuid4()
    log = log_of(
        OverdueRecorded(one, "issue:1:overdue"),
        OverdueRecorded(other, "issue:1:overdue"),  # the same key of another item: fine
        OverdueRecorded(one, "issue:1:overdue"),
    )

    total, problems = duplicated_milestones(log)

    assert total == 3
    assert problems == [f"milestone issue:1:overdue of {one} recorded 2 times"]


def test_a_read_table_that_differs_from_the_rebuild_is_named() -> None:
    live = {"issues": [(1, "a"), (2, "b")], "referrals": [(1,)]}
    rebuilt = {"issues": [(1, "a"), (2, "c")], "referrals": [(1,)]}

    problems = _differences(live, rebuilt)

    assert len(problems) == 1
    assert problems[0].startswith("read table issues: 1 rows not in the rebuild, 1 rows")
