"""What must hold after the kills, read from the event log (the system of record), from
Temporal and from the read tables, independently of the processes that were killed.

Each check returns (counts, problems); a problem is one sentence a person can act on.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from chaos.load import Outcome
from chaos.system import System
from domain.application import RectifyApp
from domain.clocks import MilestoneKind, kind_of_topic
from infrastructure.stored_calendar import StoredCalendar
from rectify.settings import eventsourcing_env
from workflows.clock_inputs import clock_workflow_id

Problems = list[str]
TEXTLESS = {"claim"}  # operations whose events carry no text of the client's
# A milestone this close to now may be on its way (the workflow's timer, the activity).
IN_FLIGHT = timedelta(seconds=30)


@dataclass
class Log:
    """Every event of the log, by position, with its text for finding markers."""

    events: dict[int, Any] = field(default_factory=dict)
    texts: dict[int, str] = field(default_factory=dict)
    clocked: set[tuple[str, UUID]] = field(default_factory=set)  # (kind, item)

    @classmethod
    def read(cls, app: RectifyApp) -> Log:
        log, start = cls(), 1
        while batch := app.recorder.select_notifications(start=start, limit=500):
            for notification in batch:
                event = app.mapper.to_domain_event(notification)
                log.events[notification.id] = event
                log.texts[notification.id] = repr(vars(event))
                entry = kind_of_topic(notification.topic)
                if entry is not None:
                    log.clocked.add((entry.kind, event.originator_id))
            start = batch[-1].id + 1
        return log


def open_app(system: System) -> tuple[RectifyApp, dict[str, str], str]:
    from rectify.composition import rectify_app

    url = system.database_url()
    if url is None:
        raise RuntimeError("the embedded PostgreSQL is not running (no postmaster.pid)")
    es_env = eventsourcing_env(url, system.schema)
    return rectify_app(es_env), es_env, url


# -- 1. every acknowledged command's events are stored ----------------------------------


def acknowledged(outcomes: list[Outcome], log: Log) -> tuple[dict[str, int], Problems]:
    problems: Problems = []
    acked = [o for o in outcomes if o.status == "acknowledged"]
    found = 0
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    for position, event in log.events.items():
        by_type[type(event).__qualname__].update(_markers(log.texts[position]))
    stored = _stored(log)
    for outcome in acked:
        if outcome.position is None:
            # Answered "nothing had to change": a retry that found the first attempt's
            # work instead of returning its result (the client loses the position).
            found += outcome.marker in stored
            where = "stored" if outcome.marker in stored else "NOT stored"
            problems.append(
                f"{outcome.op} {outcome.marker}: acknowledged without a position after"
                f" {outcome.attempts} attempts ({where}; retried after:"
                f" {'; '.join(outcome.errors) or '-'})"
            )
            continue
        event = log.events.get(outcome.position)
        if event is None or not _is_ours(outcome, event, log):
            problems.append(
                f"{outcome.op} {outcome.marker}: acknowledged at position {outcome.position},"
                f" but the log has {'nothing' if event is None else type(event).__qualname__}"
                " of it there"
            )
            continue
        found += 1
        copies = by_type[type(event).__qualname__][outcome.marker]
        if copies > 1:
            problems.append(
                f"{outcome.op} {outcome.marker}: applied {copies} times"
                f" ({type(event).__qualname__}; retried {outcome.attempts - 1} times)"
            )
    unanswered = [o for o in outcomes if o.status == "unanswered"]
    stored_anyway = sum(o.marker in stored for o in unanswered)
    for outcome in unanswered:
        problems.append(
            f"{outcome.op} {outcome.marker}: no answer after {outcome.attempts} attempts"
            f" (last: {outcome.errors[-1] if outcome.errors else '?'})"
        )
    # A retry answered with a refusal although the first attempt had committed ("number
    # already in this campaign"): the person was told no for what was done.
    refused_done = [
        o
        for o in outcomes
        if o.status.startswith("refused") and o.attempts > 1 and o.marker in stored
    ]
    for outcome in refused_done:
        problems.append(
            f"{outcome.op} {outcome.marker}: stored, but its retry was answered"
            f" {outcome.status} ({outcome.refusal}) after {'; '.join(outcome.errors)}"
        )
    counts = {
        "sent": len(outcomes),
        "acknowledged": len(acked),
        "found": found,
        **Counter(f"{o.status} ({o.op})" for o in outcomes if o.status.startswith("refused")),
        "unanswered": len(unanswered),
        "unanswered but stored": stored_anyway,
        "retried": sum(o.attempts > 1 for o in outcomes),
        "refused on retry but stored": len(refused_done),
    }
    return counts, problems


def _stored(log: Log) -> set[str]:
    return {marker for text in log.texts.values() for marker in _markers(text)}


def _markers(text: str) -> set[str]:
    """The load's markers in an event's text (混沌<op>-s<seed>-n<count>)."""
    found, start = set(), 0
    while (at := text.find("混沌", start)) >= 0:
        end = at + 2
        while end < len(text) and (text[end].isalnum() or text[end] == "-"):
            end += 1
        found.add(text[at:end])
        start = end
    return found


def _is_ours(outcome: Outcome, event: Any, log: Log) -> bool:
    """The event at the acknowledged position is the command's own: it carries the marker,
    or (a claim, which writes no text) belongs to the item the command named."""
    if outcome.op not in TEXTLESS:
        return outcome.marker in _markers(repr(vars(event)))
    return outcome.item is not None and str(event.originator_id) == outcome.item


# -- 2. no milestone duplicated or missing ----------------------------------------------


def duplicated_milestones(log: Log) -> tuple[int, Problems]:
    """Milestone events (a `key`, a name ending in Recorded: domain.notices' shape), each
    (item, key) exactly once."""
    keys: Counter[tuple[UUID, str]] = Counter()
    for event in log.events.values():
        key = getattr(event, "key", None)
        if isinstance(key, str) and type(event).__name__.endswith("Recorded"):
            keys[(event.originator_id, key)] += 1
    problems = [f"milestone {key} of {item} recorded {n} times" for (item, key), n in keys.items()
                if n > 1]  # fmt: skip
    return sum(keys.values()), problems


def missing_milestones(app: RectifyApp, log: Log) -> tuple[int, Problems]:
    """Every milestone of a running clock whose moment has passed is recorded, except a
    reminder whose deadline has passed too (the workflow skips those by design: noise)."""
    now, calendar, due = datetime.now(UTC) - IN_FLIGHT, StoredCalendar(app), 0
    problems: Problems = []
    for kind, item in sorted(log.clocked, key=str):
        view = app.clock_view(kind, item, calendar)
        if not (view.open and view.running):
            continue
        for milestone in view.milestones:
            late_reminder = (
                milestone.kind is MilestoneKind.REMINDER and (milestone.due or milestone.at) <= now
            )
            if milestone.at <= now and not late_reminder:
                due += 1
                if milestone.key not in view.recorded:
                    problems.append(f"milestone {milestone.key} of {kind} {item} is missing")
    return due, problems


# -- 3. every open dated item has a live clock -----------------------------------------


def expected_clocks(app: RectifyApp, log: Log) -> set[str]:
    calendar = StoredCalendar(app)
    expected = set()
    for kind, item in log.clocked:
        view = app.clock_view(kind, item, calendar)
        if view.open and view.due is not None:
            expected.add(clock_workflow_id(item, kind))
    return expected


def running_workflows(address: str) -> set[str]:
    from temporalio.client import Client

    async def listing() -> set[str]:
        client = await Client.connect(address)
        return {w.id async for w in client.list_workflows("ExecutionStatus='Running'")}

    return asyncio.run(asyncio.wait_for(listing(), 30))


def live_clocks(system: System, app: RectifyApp, log: Log) -> tuple[dict[str, int], Problems]:
    expected = expected_clocks(app, log)
    try:
        running = running_workflows(system.temporal_address)
    except Exception as error:  # any failure to ask is the finding itself
        return {"expected": len(expected), "running": 0}, [
            f"Temporal at {system.temporal_address} cannot list workflows: {error!r}"
        ]
    missing = sorted(expected - running)
    problems = [f"no running clock {w}" for w in missing]
    return {"expected": len(expected), "running": len(expected & running)}, problems


# -- 4. each read model equals a fresh rebuild -----------------------------------------


def read_models_equal_rebuild(
    app: RectifyApp, es_env: dict[str, str], url: str, schema: str, attempts: int = 5
) -> tuple[int, Problems]:
    """Snapshot the read tables at a position equal to the log's head, rebuild every model
    from the log (tests/integration/test_rebuild's way), snapshot again, compare. Events
    written in between (a clock ringing) would move the head: then it is tried again."""
    from projections import rebuild_projections
    from projections.runner import connect
    from tests.integration.test_rebuild import snapshot  # the rebuild tests' own dump

    with closing(connect(url, schema)) as db:
        for _ in range(attempts):
            head = app.recorder.max_notification_id() or 0
            live = snapshot(db)
            if _position(live) != head:
                time.sleep(2)
                continue
            rebuild_projections(es_env, url, schema)
            rebuilt = snapshot(db)
            if _position(rebuilt) != head:
                continue  # the log moved during the rebuild: compare again
            return sum(len(rows) for rows in live.values()), _differences(live, rebuilt)
    return 0, [f"the read side never stood still at the log's head in {attempts} tries"]


def _position(rows: dict[str, list[tuple[Any, ...]]]) -> int:
    tracking = [row for row in rows["projection_tracking"] if row[0] == "ledger"]
    return int(tracking[0][1]) if tracking else 0


def _differences(
    live: dict[str, list[tuple[Any, ...]]], rebuilt: dict[str, list[tuple[Any, ...]]]
) -> Problems:
    problems = []
    for table, rows in live.items():
        if rows == rebuilt[table]:
            continue
        extra = [r for r in rows if r not in rebuilt[table]]
        lacking = [r for r in rebuilt[table] if r not in rows]
        problems.append(
            f"read table {table}: {len(extra)} rows not in the rebuild, {len(lacking)} rows"
            f" of the rebuild missing; e.g. {(extra or lacking)[:1]!r:.300}"
        )
    return problems
