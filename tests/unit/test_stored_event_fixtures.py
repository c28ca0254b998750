"""Events stored by older code still load (ADR 0029).

The fixtures under tests/fixtures/stored_events are stored events as the code of their day
wrote them. Today's code must have a fixture of every event class it defines, decode every
fixture into its event class with exactly that class's fields, and replay every fixture
stream into an aggregate the read side can use; and no recording may ever change.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper

from domain.calendar.official import OfficialCalendar
from domain.campaigns import Campaign
from domain.clocks import Clocked, Reschedulable, clocked_kinds
from domain.policies import EscalationPolicy
from infrastructure.calendar_data import build_calendar
from tests.fixtures.stored_events import (
    DIGESTS,
    PATTERN,
    RECORD_COMMAND,
    all_fixtures,
    class_version,
    defined_event_classes,
    field_problems,
    fixture_files,
    mapper,
    recording_problems,
    replay,
    streams,
)

USES = (mapper,)  # the fixture: the application's mapper, module-scoped

CALENDAR = build_calendar()


# What the read side and the commands ask of some kinds beyond their properties.
READS: dict[type[Aggregate], Callable[[Any], object]] = {
    Campaign: lambda c: (c.targets(), c.phase_on(date(2026, 5, 6)), c.case_threshold),
    EscalationPolicy: lambda p: [p.ladder(v) for v in range(1, p.latest_version + 1)],
    OfficialCalendar: lambda c: c.arrangement(),
}


def read_as_the_read_side_does(aggregate: Any) -> None:
    """Every property, the clock engine's view of a clocked item, and READS."""
    for name, _ in inspect.getmembers(type(aggregate), lambda v: isinstance(v, property)):
        getattr(aggregate, name)
    if isinstance(aggregate, Clocked):
        kind = next(k for k in clocked_kinds() if k.aggregate is type(aggregate))
        if aggregate.clock_open():
            aggregate.milestones(CALENDAR, kind.default_ladder)
        aggregate.clock_running()
    if isinstance(aggregate, Reschedulable):
        aggregate.period_clocks()
    READS.get(type(aggregate), lambda _: None)(aggregate)


def test_every_event_class_the_domain_defines_has_a_stored_fixture() -> None:
    recorded = {(f.topic, f.class_version) for f in all_fixtures()}
    missing = [
        f"{topic} (class_version {class_version(cls)})"
        for topic, cls in sorted(defined_event_classes().items())
        if (topic, class_version(cls)) not in recorded
    ]
    assert not missing, (
        "no stored fixture of "
        + ", ".join(missing)
        + f". Make tests/fixtures/stored_events/scenario.py write it, then run {RECORD_COMMAND}"
    )


def test_the_domain_defines_the_event_classes_of_every_aggregate() -> None:
    classes = defined_event_classes()
    assert len(classes) >= 90
    assert "rectify:Agency.Registered" in classes
    assert "rectify:Inspection.Repeated" in classes
    assert not [t for t in classes if t.endswith(".Event")]


def test_every_fixture_decodes_into_its_event_class_with_that_class_s_fields(
    mapper: Mapper[Any],
) -> None:
    classes = defined_event_classes()
    problems = []
    for fixture in all_fixtures():
        event = mapper.to_domain_event(fixture.stored_event())
        if type(event) is not classes.get(fixture.topic):
            problems.append(f"{fixture}: decoded as {type(event).__qualname__}")
        problems += [f"{fixture}: {problem}" for problem in field_problems(event)]
    assert not problems, "\n".join(problems)


def test_every_fixture_stream_replays_into_an_aggregate_the_read_side_can_use(
    mapper: Mapper[Any],
) -> None:
    replayed = 0
    for stream in streams(all_fixtures()):
        aggregate = replay(mapper, stream)
        assert aggregate.id == stream[0].originator_id
        assert aggregate.version == stream[-1].originator_version == len(stream)
        read_as_the_read_side_does(aggregate)
        replayed += 1
    assert replayed >= 50


def test_no_recording_is_edited_removed_or_added_without_its_digest() -> None:
    assert fixture_files(), f"no {PATTERN} in {DIGESTS.parent}"
    problems = recording_problems()
    assert not problems, (
        f"{problems}. A recording stands for events already stored somewhere: never edit or "
        "remove one; change the event class with class_version and an upcaster, and add "
        f"recordings only with {RECORD_COMMAND} (ADR 0029)"
    )


@pytest.mark.parametrize("change", ["edit", "remove", "add"])
def test_an_edited_removed_or_unlisted_recording_is_found(change: str, tmp_path: Path) -> None:
    for path in [*fixture_files(), DIGESTS]:
        shutil.copy(path, tmp_path / path.name)
    first = tmp_path / fixture_files()[0].name
    if change == "edit":
        first.write_text(first.read_text().replace("县卫健局", "县卫生局", 1))
    elif change == "remove":
        first.unlink()
    else:
        shutil.copy(first, tmp_path / "recorded-2099-01-01.json")

    assert len(recording_problems(tmp_path)) == 1
