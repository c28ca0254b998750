"""Escalation policies as an event-sourced aggregate: versions, refusals, applicability."""

from __future__ import annotations

from uuid import uuid4

import pytest

import domain.issues  # noqa: F401  (registers the "issue" clocked kind)
from domain.clocks import DEFAULT_LADDER, MilestoneKind, Period, Rung
from domain.errors import InvalidInput
from domain.policies import (
    EscalationPolicy,
    applicable_ladder,
    ladder_from_dicts,
    policy_id,
    rung_as_dict,
)

OVERDUE = Rung("overdue", MilestoneKind.OVERDUE, Period.working_days(0), "责任单位", "已逾期")
SUPERVISE = Rung(
    "supervision", MilestoneKind.ESCALATION, Period.working_days(2), "责任单位", "督办"
)


def policy() -> EscalationPolicy:
    return EscalationPolicy(uuid4(), "issue")


def test_policy_stream_is_named_by_campaign_and_kind() -> None:
    item = policy()
    assert item.id == policy_id(item.campaign_id, "issue")


def test_setting_a_ladder_records_who_what_and_whether_running_clocks_follow() -> None:
    item = policy()
    assert item.set_ladder([OVERDUE, SUPERVISE], False, "试行", "admin")
    event = item.collect_events()[-1]
    assert isinstance(event, EscalationPolicy.LadderSet)
    assert (event.version, event.apply_to_running, event.actor, event.reason) == (
        1,
        False,
        "admin",
        "试行",
    )
    assert event.rungs[1] == {
        "name": "supervision",
        "kind": "escalation",
        "offset": "2wd",
        "addressee": "责任单位",
        "label": "督办",
    }
    assert item.ladder(1).rungs == (OVERDUE, SUPERVISE)


def test_the_same_ladder_again_records_nothing() -> None:
    item = policy()
    item.set_ladder([OVERDUE], False, "", "admin")
    assert not item.set_ladder([OVERDUE], False, "", "admin")
    assert item.latest_version == 1


def test_an_empty_ladder_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        policy().set_ladder([], False, "", "admin")
    assert refused.value.field == "rungs"


def test_a_stored_rung_with_a_bad_offset_names_its_place() -> None:
    bad = rung_as_dict(OVERDUE) | {"offset": "soon"}
    with pytest.raises(InvalidInput) as refused:
        ladder_from_dicts([rung_as_dict(OVERDUE), bad], 1)
    assert refused.value.field == "rungs[1].offset"


def test_a_new_clock_gets_the_latest_version() -> None:
    item = policy()
    item.set_ladder([OVERDUE], False, "", "admin")
    item.set_ladder([OVERDUE, SUPERVISE], False, "", "admin")
    assert applicable_ladder(item, "issue", None).version == 2


def test_a_running_clock_keeps_its_version_unless_a_later_one_applies_to_running() -> None:
    item = policy()
    item.set_ladder([OVERDUE], False, "", "admin")
    item.set_ladder([OVERDUE, SUPERVISE], False, "", "admin")
    assert applicable_ladder(item, "issue", 1).version == 1
    item.set_ladder([SUPERVISE, OVERDUE], True, "统一口径", "admin")
    assert applicable_ladder(item, "issue", 1).version == 3


def test_without_a_policy_the_built_in_ladder_applies() -> None:
    assert applicable_ladder(None, "issue", None) == DEFAULT_LADDER
    item = policy()
    item.set_ladder([OVERDUE], False, "", "admin")
    assert applicable_ladder(item, "issue", 0) == DEFAULT_LADDER
