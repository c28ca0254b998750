"""The dashboard figures recomputed in plain Python from the raw event log (ADR 0018).

Independent of the production read model and queries: it walks every notification of the
log, takes times from the events' timestamps and current states from the aggregates the
repository reconstructs, and counts, ranks and buckets here. Tests compare the GraphQL
answer with what this module gives.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.agencies import Agency
from domain.application import RectifyApp
from domain.calendar import WorkingCalendar
from domain.case_transfers import CLOSED as TRANSFER_CLOSED
from domain.case_transfers import CaseTransfer as Transfer
from domain.clocks import due_day
from domain.clues import Clue, ClueStatus
from domain.issues import RectificationIssue as Issue
from domain.referrals import Referral, ReferralStatus

CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class Item:
    kind: str
    campaign: UUID | None
    agency: UUID
    opened: datetime
    closed: datetime | None = None
    due: date | None = None  # in force now
    done: datetime | None = None  # the act judged for timeliness
    done_due: date | None = None


@dataclass
class Round:
    agency: UUID
    assigned: datetime
    claimed: datetime | None = None
    answered: datetime | None = None


@dataclass
class Log:
    items: dict[UUID, Item] = field(default_factory=dict)
    rounds: dict[UUID, list[Round]] = field(default_factory=dict)
    rungs: list[tuple[UUID, str]] = field(default_factory=list)
    regions: dict[UUID, str] = field(default_factory=dict)  # the last one assigned


def events(app: RectifyApp) -> list[Any]:
    found, start = [], 1
    while batch := app.recorder.select_notifications(start=start, limit=500):
        found += [app.mapper.to_domain_event(n) for n in batch]
        start = batch[-1].id + 1
    return found


def read_log(app: RectifyApp) -> Log:
    log = Log()
    answer_due_at_answer: dict[UUID, date | None] = {}
    last: dict[tuple[UUID, str], datetime] = {}
    for e in events(app):
        item, t = e.originator_id, e.timestamp
        last[(item, type(e).__name__)] = t
        if isinstance(e, Agency.RegionAssigned):
            log.regions[item] = e.region
        elif isinstance(
            e, (Issue.ReminderRecorded, Issue.OverdueRecorded, Issue.EscalationRecorded)
        ):
            default = "reminder" if isinstance(e, Issue.ReminderRecorded) else "overdue"
            log.rungs.append((item, e.rung or default))
        elif isinstance(
            e, (Referral.MilestoneRecorded, Clue.MilestoneRecorded, Transfer.MilestoneRecorded)
        ):
            log.rungs.append((item, e.rung))
        elif isinstance(e, Transfer.StatutoryBreachRecorded):
            log.rungs.append((item, "breach"))
        elif isinstance(e, Transfer.Reported):
            log.items[item] = Item("case_transfer", e.campaign_id, e.agency_id, t)
        elif isinstance(e, Issue.Registered):
            log.items[item] = Item("issue", e.campaign_id, e.lead_agency_id, t)
        elif isinstance(e, Referral.Sent) and not e.children:
            log.items[item] = Item("referral", e.campaign_id, e.receiver_agency_id, t)
            log.rounds[item] = [Round(e.receiver_agency_id, t)]
        elif isinstance(e, Referral.Reassigned):
            log.rounds[item].append(Round(e.receiver_agency_id, t))
        elif isinstance(e, Referral.Claimed):
            current = log.rounds[item][-1]
            current.claimed = current.claimed or t
            answer_due_at_answer[item] = None
        elif isinstance(e, Referral.Answered):
            current = log.rounds[item][-1]
            current.answered = current.answered or t
            # The aggregate before this event knew the answer due: replay to that version.
            before: Any = app.repository.get(item, version=e.originator_version - 1)
            answer_due_at_answer[item] = due_day(before.answer_due)
        elif isinstance(e, Clue.Received):
            log.items[item] = Item("clue", e.campaign_id, e.agency_id, t)
    for item_id, item in log.items.items():
        _current_state(app, item_id, item, last, answer_due_at_answer)
    return log


def _current_state(
    app: RectifyApp,
    item_id: UUID,
    item: Item,
    last: dict[tuple[UUID, str], datetime],
    answer_due_at_answer: dict[UUID, date | None],
) -> None:
    aggregate: Any = app.repository.get(item_id)
    if item.kind == "issue":
        if aggregate.is_closed:
            item.closed = item.done = last[(item_id, "SignedOff")]
            item.done_due = aggregate.deadline.due_date
        else:
            item.due = aggregate.deadline.due_date
    elif item.kind == "referral":
        item.agency = aggregate.receiver_agency_id
        if aggregate.status is ReferralStatus.ACCEPTED:
            item.closed = last[(item_id, "Accepted")]
        if aggregate.status in (ReferralStatus.ANSWERED, ReferralStatus.ACCEPTED):
            item.done = last[(item_id, "Answered")]
            item.done_due = answer_due_at_answer[item_id]
        if aggregate.current_due is not None:
            item.due = due_day(aggregate.current_due)
    elif item.kind == "case_transfer":
        _transfer_state(app, item_id, item, aggregate)
    elif aggregate.status in (ClueStatus.CONCLUDED, ClueStatus.DISMISSED, ClueStatus.MERGED) and (
        aggregate.reply_due is None or aggregate.replied
    ):
        # Closed once ended and no reply is owed, at the later of the two (ADR 0035).
        ends = [last.get((item_id, n)) for n in ("MergedAsDuplicate", "Dismissed")]
        ends += [last.get((item_id, "Concluded")), last.get((item_id, "ReplyRecorded"))]
        item.closed = max(t for t in ends if t is not None)


def _transfer_state(app: RectifyApp, item_id: UUID, item: Item, aggregate: Any) -> None:
    """Closed at the first version whose status is a closed one; judged by the statutory
    period the version before had running (the domain's own running_clock)."""
    if aggregate.status not in TRANSFER_CLOSED:
        running = aggregate.running_clock()
        item.due = due_day(running.due) if running else None
        return
    version = 1
    while (found := app.repository.get(item_id, version=version)).status not in TRANSFER_CLOSED:
        version += 1
    before: Any = app.repository.get(item_id, version=version - 1)
    running = before.running_clock()
    item.closed = item.done = found.modified_on
    item.done_due = due_day(running.due) if running else None


def in_scope(log: Log, campaign: UUID | None) -> dict[UUID, Item]:
    return {k: v for k, v in log.items.items() if campaign is None or v.campaign == campaign}


def counts(items: list[Item], today: date) -> dict[str, Any]:
    judged = [i for i in items if i.closed is not None and i.done_due is not None]
    on_time = [
        i
        for i in judged
        if i.done is not None
        and i.done_due is not None
        and i.done.astimezone(CHINA).date() <= i.done_due
    ]
    return {
        "open": sum(i.closed is None for i in items),
        "closed": sum(i.closed is not None for i in items),
        "overdue": sum(i.closed is None and i.due is not None and i.due < today for i in items),
        "closedWithDueDate": len(judged),
        "closedOnTime": len(on_time),
        "onTimeRate": len(on_time) / len(judged) if judged else None,
    }


def by_kind(log: Log, campaign: UUID | None, today: date) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in in_scope(log, campaign).values():
        grouped[item.kind.upper()].append(item)
    return {kind: counts(items, today) for kind, items in grouped.items()}


def by_agency(log: Log, campaign: UUID | None, today: date) -> dict[UUID, dict[str, Any]]:
    grouped: dict[UUID, list[Item]] = defaultdict(list)
    for item in in_scope(log, campaign).values():
        grouped[item.agency].append(item)
    return {agency: counts(items, today) for agency, items in grouped.items()}


def by_region(log: Log, campaign: UUID | None, today: date) -> dict[str | None, dict[str, Any]]:
    grouped: dict[str | None, list[Item]] = defaultdict(list)
    for item in in_scope(log, campaign).values():
        grouped[log.regions.get(item.agency)].append(item)
    return {region: counts(items, today) for region, items in grouped.items()}


def nearest_rank(values: list[float], p: Fraction) -> float | None:
    """The value at rank ceil(p·n) of the sorted values (1-based)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]


def referral_times(log: Log, campaign: UUID | None) -> dict[UUID, dict[str, Any]]:
    claim: dict[UUID, list[float]] = defaultdict(list)
    answer: dict[UUID, list[float]] = defaultdict(list)
    for item_id in in_scope(log, campaign):
        for r in log.rounds.get(item_id, []):
            if r.claimed is not None:
                claim[r.agency].append((r.claimed - r.assigned) / timedelta(hours=1))
                if r.answered is not None:
                    answer[r.agency].append((r.answered - r.claimed) / timedelta(hours=1))
    half, ninety = Fraction(1, 2), Fraction(9, 10)
    return {
        agency: {
            "claimed": len(claim[agency]),
            "answered": len(answer[agency]),
            "claimMedianHours": nearest_rank(claim[agency], half),
            "claimP90Hours": nearest_rank(claim[agency], ninety),
            "answerMedianHours": nearest_rank(answer[agency], half),
            "answerP90Hours": nearest_rank(answer[agency], ninety),
        }
        for agency in set(claim) | set(answer) | _assigned(log, campaign)
    }


def _assigned(log: Log, campaign: UUID | None) -> set[UUID]:
    return {r.agency for i in in_scope(log, campaign) for r in log.rounds.get(i, [])}


def escalations(log: Log, campaign: UUID | None) -> dict[str, int]:
    scope = in_scope(log, campaign)
    return dict(Counter(rung for item, rung in log.rungs if item in scope))


def working_days_after(calendar: WorkingCalendar, due: date, today: date) -> int:
    """Working days from the day after `due` to `today`, both included."""
    day, n = due, 0
    while day < today:
        day += timedelta(days=1)
        n += calendar.is_working_day(day)
    return n


def overdue(
    log: Log, campaign: UUID | None, today: date, calendar: WorkingCalendar
) -> list[tuple[UUID, int]]:
    """(item, working days overdue), most first; ties by due day then id."""
    late = [
        (k, v)
        for k, v in in_scope(log, campaign).items()
        if v.closed is None and v.due is not None and v.due < today
    ]
    late.sort(key=lambda kv: (kv[1].due, str(kv[0])))
    found = [(k, working_days_after(calendar, v.due, today)) for k, v in late if v.due]
    assert [n for _, n in found] == sorted((n for _, n in found), reverse=True)
    return found


def monday(moment: datetime) -> date:
    day = moment.astimezone(CHINA).date()
    return day - timedelta(days=day.weekday())


def weekly(log: Log, campaign: UUID | None, today: date, weeks: int) -> list[tuple[date, int, int]]:
    last = today - timedelta(days=today.weekday())
    mondays = [last - timedelta(weeks=n) for n in reversed(range(weeks))]
    items = in_scope(log, campaign).values()
    opened = Counter(monday(i.opened) for i in items)
    closed = Counter(monday(i.closed) for i in items if i.closed is not None)
    return [(m, opened[m], closed[m]) for m in mondays]


# -- campaign progress (ADR 0020) -------------------------------------------------------


@dataclass
class Progress:
    """What the raw events say about coverage, reports and law-enforcement cases."""

    targets: dict[UUID, dict[str, tuple[str, int, int, str | None]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    # (campaign, category, institution) -> (region, the day of its first visit)
    institutions: dict[tuple[UUID, str, str], tuple[str | None, date]] = field(default_factory=dict)
    cases: dict[tuple[UUID, str], tuple[date, UUID | None]] = field(default_factory=dict)
    regions: dict[UUID, str] = field(default_factory=dict)
    thresholds: dict[UUID, int] = field(default_factory=dict)
    # (item, agency) -> (campaign, opened day, due date, submitted day)
    reports: dict[tuple[UUID, UUID], list[Any]] = field(default_factory=dict)


def _key(text: str) -> str:
    return "".join(text.split()).strip("。.;；,，、")


def read_progress(app: RectifyApp) -> Progress:
    from domain.campaigns import Campaign
    from domain.inspections import EnforcementCase, Inspection
    from domain.reporting import ReportDue

    found = Progress()
    streams: dict[UUID, tuple[UUID, str, str]] = {}
    for event in events(app):
        if isinstance(event, Campaign.CoverageTargetSet):
            found.targets[event.originator_id][_key(event.category)] = (
                event.category, event.population, event.required_percent, event.region,
            )  # fmt: skip
        elif isinstance(event, Campaign.CaseThresholdSet):
            found.thresholds[event.originator_id] = event.threshold
        elif isinstance(event, Inspection.Recorded):
            key = (event.campaign_id, _key(event.category), _key(event.institution))
            streams[event.originator_id] = key
            region, first = found.institutions.get(key, (event.region, event.on))
            found.institutions[key] = (region, min(first, event.on))
        elif isinstance(event, Inspection.Repeated):
            key = streams[event.originator_id]
            region, first = found.institutions[key]
            found.institutions[key] = (region, min(first, event.on))
        elif isinstance(event, EnforcementCase.Filed):
            found.cases.setdefault(
                (event.agency_id, _key(event.number)), (event.filed_on, event.campaign_id)
            )
        elif isinstance(event, Agency.RegionAssigned):
            found.regions[event.originator_id] = event.region
        elif isinstance(event, ReportDue.Opened):
            opened = event.timestamp.astimezone(CHINA).date()
            for agency in event.agency_ids:
                found.reports[(event.originator_id, agency)] = [
                    event.campaign_id, opened, event.due_date, None,
                ]  # fmt: skip
        elif isinstance(event, ReportDue.Submitted):
            row = found.reports[(event.originator_id, event.agency_id)]
            if row[3] is None:
                row[3] = event.timestamp.astimezone(CHINA).date()
    return found


def coverage(found: Progress, campaign: UUID, as_of: date) -> list[dict[str, Any]]:
    rows = []
    for key, (category, population, required, region) in found.targets[campaign].items():
        inspected = sum(
            1
            for (c, cat, _), (where, first) in found.institutions.items()
            if c == campaign and cat == key and first <= as_of
            and (region is None or where == region)
        )  # fmt: skip
        share = Fraction(inspected * 100, population)
        rows.append(
            {
                "category": category,
                "region": region,
                "population": population,
                "requiredPercent": required,
                "inspected": inspected,
                "percent": f"{math.floor(share * 10 + Fraction(1, 2)) / 10:.1f}",
                "met": share >= required,
            }
        )
    return sorted(rows, key=lambda r: r["category"])


def report_counts(found: Progress, campaign: UUID, as_of: date) -> dict[str, int]:
    owed = [r for r in found.reports.values() if r[0] == campaign and r[1] <= as_of]
    late = [r for r in owed if r[3] is None or r[3] > as_of]
    return {
        "due": len(owed),
        "received": len(owed) - len(late),
        "outstanding": len(late),
        "overdue": sum(1 for r in late if r[2] < as_of),
    }


def case_counts(found: Progress, campaign: UUID | None, year: int) -> list[dict[str, Any]]:
    threshold = found.thresholds.get(campaign, 10) if campaign else 10
    counts: Counter[str] = Counter({region: 0 for region in found.regions.values() if region})
    for (agency, _), (filed_on, linked) in found.cases.items():
        region = found.regions.get(agency)
        if region and filed_on.year == year and (campaign is None or linked == campaign):
            counts[region] += 1
    return [
        {"region": r, "count": n, "threshold": threshold, "belowThreshold": n < threshold}
        for r, n in sorted(counts.items())
    ]
