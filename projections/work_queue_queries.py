"""The caller's work queue (我的待办, ADR 0044): one list across every kind of item, read set-based
from the kinds' own read tables (a UNION ALL, one branch per kind), paged by keyset.

Each branch gives the same columns: the kind, the item, its title and reference, campaign,
state, due day (CST; an instant's day as `domain.clocks.due_day` gives it), when it came in,
the agency whose work it is (`agency_id`) and the other agency the step's rule asks about
(`other_id`: a referral's sender, an issue's lead, a clue's receiving agency). Which kinds
and which states a caller sees is decided by the API from its permission tables
(api/authz/work_queue.py) and passed in as `WorkScope`: this module knows no roles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from projections.keyset import FAR_DATE, Key, Keyset, Page, counted

Pool = Any  # asyncpg.Pool

# Kinds of rows, as the API names them.
REFERRAL_TO_CLAIM = "REFERRAL_TO_CLAIM"  # 待签收: sent to the agency, not yet claimed
REFERRAL_TO_ANSWER = "REFERRAL_TO_ANSWER"  # 待反馈: claimed, not yet answered
REFERRAL_TO_ACCEPT = "REFERRAL_TO_ACCEPT"  # 待验收: answered to the sending agency
REFERRAL_TO_REASSIGN = "REFERRAL_TO_REASSIGN"  # 待重新指派: returned to the office
ISSUE_TO_REPORT = "ISSUE_TO_REPORT"  # 整改中: report progress, submit, ask for more time
ISSUE_TO_VERIFY = "ISSUE_TO_VERIFY"  # 待核验: submitted for verification
EXTENSION_TO_DECIDE = "EXTENSION_TO_DECIDE"  # 待审批延期: an extension request pending
CLUE_TO_HANDLE = "CLUE_TO_HANDLE"  # 线索: to triage, conclude or reply to the reporter
CASE_TRANSFER_STEP = "CASE_TRANSFER_STEP"  # 行刑衔接/纪检移送: the agency's statutory step
REPORT_DUE = "REPORT_DUE"  # 定期报送: a period's report the agency still owes


def _day(instant: str) -> str:
    """The CST day of a due instant (`domain.clocks.due_day`: the end of a day is that day)."""
    return f"(({instant} - interval '1 microsecond') AT TIME ZONE $2)::date"


_COLUMNS = (
    "kind, item_id, title, reference, campaign_id, status, due, received_at, agency_id,"
    " other_id, detail"
)

# One SELECT per kind, in _COLUMNS order. $1: the caller's agency (null: every agency),
# $2: the time zone of due days, $3: the region a leadership token is limited to (or
# null); {states}: the placeholder of the states the caller acts in.
_BRANCHES: dict[str, str] = {
    REFERRAL_TO_CLAIM: (
        f"SELECT 'REFERRAL_TO_CLAIM', r.id, r.reason, r.case_number, r.campaign_id, r.status,"
        f" {_day('r.due_at')}, r.sent_at, r.receiver_agency_id, r.sender_agency_id, ''"
        " FROM referrals r WHERE NOT r.is_group AND r.status = ANY({states})"
        " AND ($1::uuid IS NULL OR r.receiver_agency_id = $1)"
    ),
    REFERRAL_TO_ANSWER: (
        f"SELECT 'REFERRAL_TO_ANSWER', r.id, r.reason, r.case_number, r.campaign_id, r.status,"
        f" {_day('r.due_at')}, r.sent_at, r.receiver_agency_id, r.sender_agency_id, ''"
        " FROM referrals r WHERE NOT r.is_group AND r.status = ANY({states})"
        " AND ($1::uuid IS NULL OR r.receiver_agency_id = $1)"
    ),
    REFERRAL_TO_ACCEPT: (
        "SELECT 'REFERRAL_TO_ACCEPT', r.id, r.reason, r.case_number, r.campaign_id, r.status,"
        " NULL::date, r.updated_at, r.sender_agency_id, r.receiver_agency_id, ''"
        " FROM referrals r WHERE NOT r.is_group AND r.status = ANY({states})"
        " AND ($1::uuid IS NULL OR r.sender_agency_id = $1)"
    ),
    REFERRAL_TO_REASSIGN: (
        "SELECT 'REFERRAL_TO_REASSIGN', r.id, r.reason, r.case_number, r.campaign_id,"
        " r.status, NULL::date, r.updated_at, r.receiver_agency_id, r.sender_agency_id, ''"
        " FROM referrals r WHERE NOT r.is_group AND r.status = ANY({states})"
        " AND ($1::uuid IS NULL OR r.sender_agency_id = $1)"
    ),
    ISSUE_TO_REPORT: (
        "SELECT 'ISSUE_TO_REPORT', i.id, i.problem, i.number, i.campaign_id, i.status,"
        " i.due_date, i.registered_at, coalesce($1::uuid, i.lead_agency_id), i.lead_agency_id,"
        " CASE WHEN i.pending_extension_text IS NULL THEN '' ELSE 'EXTENSION_PENDING' END"
        " FROM issues i WHERE i.status = ANY({states})"
        " AND ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM issue_responsibilities o"
        "   WHERE o.issue_id = i.id AND o.agency_id = $1))"
    ),
    ISSUE_TO_VERIFY: (
        "SELECT 'ISSUE_TO_VERIFY', i.id, i.problem, i.number, i.campaign_id, i.status,"
        " i.due_date, i.updated_at, i.lead_agency_id, i.lead_agency_id, ''"
        " FROM issues i WHERE i.status = ANY({states})"
        " AND ($1::uuid IS NULL OR i.lead_agency_id = $1)"
    ),
    EXTENSION_TO_DECIDE: (
        "SELECT 'EXTENSION_TO_DECIDE', i.id, i.problem, i.number, i.campaign_id, i.status,"
        " i.due_date, i.updated_at, i.lead_agency_id, i.lead_agency_id,"
        " i.pending_extension_text"
        " FROM issues i WHERE i.pending_extension_text IS NOT NULL AND i.status = ANY({states})"
        " AND ($1::uuid IS NULL OR i.lead_agency_id = $1)"
        " AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM agencies a"
        "   WHERE a.id = i.lead_agency_id AND a.region = $3))"
    ),
    # A clue is the handling agency's to triage and conclude; a reply owed to a real-name
    # reporter is the receiving or handling agency's, once triaged, due on its reply day.
    CLUE_TO_HANDLE: (
        "SELECT 'CLUE_TO_HANDLE', c.id, c.institution || '：' || left(c.content, 200), '',"
        " c.campaign_id, c.status,"
        f" CASE WHEN c.real_name AND c.replied_at IS NULL THEN {_day('c.reply_due')} END,"
        " c.received_at, c.handling_agency_id, c.agency_id,"
        " CASE WHEN c.real_name AND c.replied_at IS NULL AND c.status <> 'RECEIVED'"
        "   THEN 'REPLY_OWED' ELSE '' END"
        " FROM clues c WHERE (c.status = ANY({states})"
        "   AND ($1::uuid IS NULL OR c.handling_agency_id = $1))"
        " OR (c.real_name AND c.replied_at IS NULL AND c.status <> 'RECEIVED'"
        "   AND 'REPLY_OWED' = ANY({states})"
        "   AND ($1::uuid IS NULL OR $1 IN (c.agency_id, c.handling_agency_id)))"
    ),
    # The party whose step is next: the transferring agency, the police agency now in
    # charge (or the commission), or the procuratorate (api/authz/case_transfers.py).
    CASE_TRANSFER_STEP: (
        "SELECT 'CASE_TRANSFER_STEP', t.id, coalesce(nullif(concat_ws('：',"
        " nullif(t.suspect, ''), nullif(t.suspected_offence, '')), ''), left(t.facts, 200)),"
        " t.case_number, t.campaign_id, t.status, "
        + _day("t.due_at")
        + ", t.updated_at, p.party, t.agency_id, t.kind"
        " FROM case_transfers t CROSS JOIN LATERAL (SELECT CASE"
        "   WHEN t.kind = 'DISCIPLINE' THEN t.receiver_id"
        "   WHEN t.status IN ('REPORTED', 'APPROVED', 'REFUSED', 'REFUSAL_UPHELD')"
        "     THEN t.agency_id"
        "   WHEN t.status = 'UNDER_SUPERVISION' THEN t.procuratorate_id"
        "   ELSE t.receiver_id END AS party) p"
        " WHERE (t.kind || ':' || t.status) = ANY({states})"
        " AND ($1::uuid IS NULL OR p.party = $1)"
    ),
    REPORT_DUE: (
        "SELECT 'REPORT_DUE', p.item_id, p.name, p.period, p.campaign_id, 'OWED', p.due_date,"
        " p.opened_on::timestamp AT TIME ZONE $2, p.agency_id, p.agency_id, ''"
        " FROM progress_reports p WHERE p.submitted_on IS NULL AND 'OWED' = ANY({states})"
        " AND ($1::uuid IS NULL OR p.agency_id = $1)"
    ),
}
KINDS = tuple(_BRANCHES)


@dataclass(frozen=True)
class WorkScope:
    """Whose queue: the agency (None: every agency) and, per kind shown, the states the
    caller acts in (a kind absent is not shown; a transfer's state is `KIND:STATUS`, a
    clue's reply owed `REPLY_OWED`, a report owed `OWED`)."""

    agency: UUID | None
    states: Mapping[str, Sequence[str]]
    region: str | None = None


@dataclass(frozen=True)
class WorkFilter:
    kinds: Sequence[str] | None = None  # None: every kind in scope
    campaign: UUID | None = None
    overdue: bool | None = None  # due before `today`
    text: str | None = None  # the title contains it (case-insensitive)
    today: date = field(default_factory=date.today)


# The orders; the last two keys (kind, item) are unique within one caller's queue.
WORK_ORDERS = {
    "DUE": Keyset(
        (
            Key(f"coalesce(w.due, {FAR_DATE})", "date"),
            Key("w.kind", "text"),
            Key("w.item_id", "uuid"),
        )
    ),
    "RECEIVED": Keyset(
        (Key("w.received_at", "timestamptz"), Key("w.kind", "text"), Key("w.item_id", "uuid")),
        descending=True,
    ),
}


# How many rows a branch would give, from the dashboard's counters (ADR 0060) rather than
# its rows, for the kinds the counters describe: an issue by status and due day, per
# campaign (every agency) or per responsible agency and role. {states}: as in _BRANCHES;
# the filter applies to `w` (campaign_id, due; an undated issue's due is 9999-12-31, which
# no day is after, as no day is after NULL).
_COUNTERS: dict[str, tuple[str, str]] = {
    # (every agency, one agency)
    ISSUE_TO_REPORT: (
        "SELECT campaign_id, due, n FROM dashboard_counts WHERE status = ANY({states})",
        "SELECT campaign_id, due, n FROM dashboard_agency_counts"
        " WHERE agency_id = $1 AND status = ANY({states})",
    ),
    ISSUE_TO_VERIFY: (
        "SELECT campaign_id, due, n FROM dashboard_counts WHERE status = ANY({states})",
        "SELECT campaign_id, due, n FROM dashboard_agency_counts"
        " WHERE agency_id = $1 AND role = 'LEAD' AND status = ANY({states})",
    ),
}


@dataclass(frozen=True)
class _Branch:
    kind: str
    rows: str  # SELECT of _COLUMNS
    counted: str | None  # SELECT campaign_id, due, n from the counters, if they serve


def _branches(scope: WorkScope, wanted: Sequence[str] | None, params: list[Any]) -> list[_Branch]:
    branches = []
    for kind in KINDS:
        states = scope.states.get(kind)
        if not states or (wanted is not None and kind not in wanted):
            continue
        params.append(list(states))
        placeholder = f"${len(params)}::text[]"
        branch = _BRANCHES[kind].format(states=placeholder)
        if scope.agency is not None:
            # "$1 IS NULL OR …" is false for an agency's queue: said so, an EXISTS under it
            # becomes a semi-join the planner can drive from the agency's own rows
            branch = branch.replace("($1::uuid IS NULL OR ", "(")
        counters = _COUNTERS.get(kind)
        counted = None
        if counters is not None:
            counted = counters[scope.agency is not None].format(states=placeholder)
        branches.append(_Branch(kind, branch, counted))
    if not branches:
        branches.append(  # nothing in scope: an empty relation of the same shape
            _Branch(
                "",
                "SELECT ''::text, NULL::uuid, ''::text, ''::text, NULL::uuid, ''::text,"
                " NULL::date, NULL::timestamptz, NULL::uuid, NULL::uuid, ''::text WHERE false",
                None,
            )
        )
    return branches


def _count(branches: Sequence[_Branch], given: WorkFilter, where: str) -> str:
    """The filter's total: each branch's rows counted, or its counters summed where they
    describe the branch and the filter asks nothing they do not hold (a text search)."""
    parts = []
    for branch in branches:
        if branch.counted is not None and not given.text:
            parts.append(
                f"(SELECT coalesce(sum(w.n), 0) FROM ({branch.counted}) AS w WHERE {where})"
            )
        else:
            parts.append(f"(SELECT count(*) FROM ({branch.rows}) AS w ({_COLUMNS}) WHERE {where})")
    return "SELECT " + " + ".join(parts)


_JOINS = " LEFT JOIN campaigns c ON c.id = w.campaign_id LEFT JOIN agencies a ON a.id = w.agency_id"


def _on_branch(condition: str) -> str:
    return condition.replace("w.", "b.")


def _where(given: WorkFilter, params: list[Any]) -> str:
    # names the scope's parameters, which a branch left out may not: each gets its type
    conditions = ["num_nulls($1::uuid, $2::text, $3::text) >= 0"]
    if given.campaign is not None:
        params.append(given.campaign)
        conditions.append(f"w.campaign_id = ${len(params)}")
    if given.overdue is not None:
        params.append(given.today)
        overdue = f"coalesce(w.due < ${len(params)}::date, false)"
        conditions.append(overdue if given.overdue else f"NOT {overdue}")
    if given.text:
        params.append(given.text.lower())
        conditions.append(f"strpos(lower(w.title || ' ' || w.reference), ${len(params)}) > 0")
    return " AND ".join(conditions)


async def work_page(
    pool: Pool,
    scope: WorkScope,
    given: WorkFilter,
    tz: str,
    first: int,
    after: Sequence[Any] | None,
    order: str = "DUE",
) -> Page:
    """`first` rows of the caller's queue in `order` (soonest due first, undated last; most
    recently received first) after keyset `after`, the filter's total, whether more follow."""
    params: list[Any] = [scope.agency, tz, scope.region]
    branches = _branches(scope, given.kinds, params)
    where = _where(given, params)
    keyset = WORK_ORDERS[order]
    total = counted(pool, _count(branches, given, where), list(params))
    beyond = keyset.after(params, after)
    params.append(first + 1)
    limit = f"${len(params)}"
    # Each branch's own first rows, in the page's order, before they are merged: a branch
    # then reads its rows in index order and stops (issues_work_due), rather than every
    # row of the caller's queue being joined and sorted to keep 21 (ADR 0060). Each
    # branch's kind is a constant, so its order is the page's order within the branch.
    limited = [
        f"(SELECT * FROM ({branch.rows}) AS b ({_COLUMNS})"
        f" WHERE {_on_branch(where)} AND {_on_branch(beyond)}"
        f" ORDER BY {_on_branch(keyset.order_by())} LIMIT {limit})"
        for branch in branches
    ]
    columns = (
        "w.*, c.title AS campaign_title, a.name AS agency_name, a.kind AS agency_kind,"
        " a.region AS agency_region"
    )
    rows = await pool.fetch(
        f"SELECT {columns}, {keyset.select()}"
        f" FROM ({' UNION ALL '.join(limited)}) AS w{_JOINS}"
        f" ORDER BY {keyset.order_by()} LIMIT {limit}",
        *params,
    )
    return Page(list(rows[:first]), total, len(rows) > first)
