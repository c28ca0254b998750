"""The work queue's rules without a database: whose queue holds which kinds and states, the
steps' mutations, the live notices that cover it, and the sign of the working days."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest

from api import work_queue
from api.auth import Role, User
from api.authz.core import NotAllowedError
from api.authz.work_queue import OFFICE_QUEUE, STAFF_QUEUE, steps_by_row, steps_of, work_scope
from api.live import QUEUE_KINDS
from api.work_queue import days_left, working_days_left
from domain.application import RectifyApp
from domain.calendar import WorkingCalendar, YearArrangement
from domain.campaigns import ExtensionApprovers
from infrastructure.stored_calendar import StoredCalendar
from projections import changes
from projections import work_queue_queries as q

HEALTH = str(uuid4())
SDL = (Path(__file__).resolve().parents[2] / "api" / "schema.graphql").read_text("utf-8")


def test_every_step_is_a_mutation_the_schema_serves() -> None:
    mutation = SDL[SDL.index("type Mutation {") :]
    served = set(re.findall(r"^  (\w+)\(", mutation[: mutation.index("\n}")], re.M))
    for table in (STAFF_QUEUE, OFFICE_QUEUE):
        for by_state in table.values():
            for steps in by_state.values():
                assert {step.mutation for step in steps} <= served


def test_every_kind_the_queue_lists_has_a_branch() -> None:
    assert set(STAFF_QUEUE) | set(OFFICE_QUEUE) == set(q.KINDS)


def test_queue_notices_cover_every_aggregate_the_queue_reads() -> None:
    feeding = ("RectificationIssue", "Referral", "Clue", "CaseTransfer", "DisciplineTransfer")
    assert {changes.KINDS[name] for name in (*feeding, "ReportDue")} <= QUEUE_KINDS


def test_a_liaison_s_queue_is_its_agency_s_in_every_staff_kind() -> None:
    scope = work_scope(User("u", Role.LIAISON, HEALTH))
    assert str(scope.agency) == HEALTH
    assert set(scope.states) == set(STAFF_QUEUE)
    # the head alone approves a reported transfer
    assert "CRIMINAL:REPORTED" not in scope.states[q.CASE_TRANSFER_STEP]


def test_an_investigator_sees_only_the_kinds_it_takes_a_step_in() -> None:
    scope = work_scope(User("u", Role.INVESTIGATOR, HEALTH))
    assert set(scope.states) == {q.CLUE_TO_HANDLE, q.CASE_TRANSFER_STEP}


def test_an_agency_head_approves_transfers_and_nothing_of_the_liaison_s() -> None:
    scope = work_scope(User("u", Role.AGENCY_HEAD, HEALTH))
    assert "CRIMINAL:REPORTED" in scope.states[q.CASE_TRANSFER_STEP]
    assert q.REFERRAL_TO_CLAIM not in scope.states and q.REPORT_DUE not in scope.states


def test_the_office_sees_every_agency_s_office_kinds() -> None:
    scope = work_scope(User("u", Role.COORDINATOR))
    assert scope.agency is None and set(scope.states) == set(OFFICE_QUEUE)


def test_leadership_decides_extensions_in_its_region_only() -> None:
    scope = work_scope(User("u", Role.LEADERSHIP, region="某县"))
    assert set(scope.states) == {q.EXTENSION_TO_DECIDE} and scope.region == "某县"


def test_an_auditor_has_no_queue() -> None:
    with pytest.raises(NotAllowedError, match="auditor 无待办事项"):
        work_scope(User("u", Role.AUDITOR))


def test_staff_without_an_agency_are_refused() -> None:
    with pytest.raises(NotAllowedError, match="no agency"):
        work_scope(User("u", Role.LIAISON))


def test_working_days_left_count_forward_and_overdue_count_back() -> None:
    monday_off = YearArrangement(2026, frozenset({date(2026, 3, 9)}), frozenset())
    calendar = WorkingCalendar([monday_off])
    friday, monday, tuesday = date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10)
    assert working_days_left(calendar, tuesday, friday) == 1  # Tuesday (Monday is off)
    assert working_days_left(calendar, friday, friday) == 0  # due today: not overdue yet
    assert working_days_left(calendar, friday, tuesday) == -1  # as the dashboard: 1 overdue
    assert working_days_left(calendar, friday, monday) == 0  # past due, no working day yet
    assert calendar.working_days_between(friday, tuesday) == 1
    assert working_days_left(calendar, None, friday) is None
    assert working_days_left(calendar, date(2100, 1, 1), friday) is None


def _rows() -> list[dict[str, object]]:
    """A row of every kind and state of both tables, from each side of the agencies."""
    own, lead, other = uuid4(), uuid4(), uuid4()
    campaign = uuid4()
    rows: list[dict[str, object]] = []
    for table in (STAFF_QUEUE, OFFICE_QUEUE):
        for kind, by_state in table.items():
            for state in by_state:
                detail, status = "", state
                if ":" in state:
                    detail, status = state.split(":")
                for agency, other_id in ((own, own), (own, lead), (other, lead), (lead, own)):
                    for extra in ("", "EXTENSION_PENDING", "REPLY_OWED"):
                        rows.append({
                            "kind": kind, "status": status, "detail": detail or extra,
                            "agency_id": agency, "other_id": other_id,
                            "agency_name": "某局", "agency_region": "某县",
                            "campaign_id": campaign, "title": "t",
                        })  # fmt: skip
    return rows


def test_rows_that_agree_on_the_step_fields_share_the_steps_each_would_get() -> None:
    rows = _rows()
    own = rows[0]["agency_id"]
    users = [
        User("u", Role.LIAISON, str(own)), User("u", Role.INVESTIGATOR, str(own)),
        User("u", Role.AGENCY_HEAD, str(own)), User("u", Role.COORDINATOR),
        User("u", Role.ADMIN), User("u", Role.LEADERSHIP, region="某县"),
        User("u", Role.LEADERSHIP, region="别县"), User("u", Role.LEADERSHIP),
    ]  # fmt: skip
    offered = 0
    for rule in ExtensionApprovers:
        approvers = {rows[0]["campaign_id"]: rule}
        for user in users:
            each = [steps_of(user, {**r, "extension_approvers": rule}) for r in rows]

            shared = steps_by_row(user, rows, approvers, list)  # type: ignore[arg-type]

            assert shared == each
            offered += sum(map(len, each))
    assert offered > 0


def test_a_pages_days_left_are_each_rows_own_counted_once_per_due_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = RectifyApp()
    friday = date(2026, 3, 6)
    dues = [date(2026, 3, 31), None, date(2026, 3, 31), date(2026, 3, 2), date(2026, 3, 31)]
    rows = [{"due": due} for due in dues]
    expected = [working_days_left(StoredCalendar(app), due, friday) for due in dues]
    counted: list[date | None] = []

    def counting(calendar: WorkingCalendar, due: date | None, today: date) -> int | None:
        counted.append(due)
        return working_days_left(calendar, due, today)

    monkeypatch.setattr(work_queue, "working_days_left", counting)

    assert days_left(app, rows, friday) == expected == [17, None, 17, -4, 17]
    assert counted == [date(2026, 3, 31), None, date(2026, 3, 2)]
