"""The as-of view's own replay (ADRs 0062, 0085) gives what the library's gives: the lean
decoder the mapper's events, the lean mutation the library's mutate, for every stored event
of every recording (tests/fixtures/stored_events), event by event; and where a stored row
or an event is not what the lean paths expect, they do what the mapper and the library do,
failures included."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import OriginatorIDError
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent

from domain.audit_trail import _mutated
from domain.issues import RectificationIssue
from domain.stream_decoding import StreamDecoder
from tests.fixtures.stored_events import all_fixtures, mapper, streams

USES = (mapper,)  # the fixture: the application's mapper, module-scoped

PROGRESS = RectificationIssue.ProgressReported.TOPIC
REGISTERED = RectificationIssue.Registered.TOPIC


def _library_mutated(aggregate: Any, event: Any) -> Any:
    """What the as-of view did before ADR 0085: the event's own mutate."""
    if aggregate is not None and event.originator_version != aggregate.version + 1:
        aggregate.version = event.originator_version - 1
    return event.mutate(aggregate)


def test_every_recorded_stream_replays_event_by_event_as_the_mapper_and_library_do(
    mapper: Mapper[Any],
) -> None:
    decoder = StreamDecoder(mapper)
    assert decoder.lean
    replayed = 0
    for stream in streams(all_fixtures()):
        ours: Any = None
        theirs: Any = None
        for fixture in stream:
            stored = fixture.stored_event()
            lean, mapped = decoder.event(stored), mapper.to_domain_event(stored)
            assert type(lean) is type(mapped), fixture
            assert vars(lean) == vars(mapped), fixture
            ours = _mutated(ours, lean)
            theirs = _library_mutated(theirs, mapped)
            assert type(ours) is type(theirs), fixture
            assert vars(ours) == vars(theirs), fixture
        replayed += 1
    assert replayed >= 50


def _issue_events(mapper: Mapper[Any]) -> tuple[StoredEvent, dict[str, Any]]:
    """A recorded issue's registration, and the state of a recorded progress report (made
    a report on that issue by `_report`)."""
    registered = next(f for f in all_fixtures() if f.topic == REGISTERED).stored_event()
    report = next(f for f in all_fixtures() if f.topic == PROGRESS)
    return registered, json.loads(report.state)


def _report(registered: StoredEvent, state: dict[str, Any], version: int = 2) -> StoredEvent:
    text = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    return StoredEvent(registered.originator_id, version, PROGRESS, text.encode())


def _both(mapper: Mapper[Any], stored: list[StoredEvent]) -> tuple[Any, Any]:
    """The aggregate after `stored`, through the as-of path and through the library's, or
    the exception each raised."""
    decoder = StreamDecoder(mapper)
    results = []
    for decode, mutate in ((decoder.event, _mutated), (mapper.to_domain_event, _library_mutated)):
        aggregate: Any = None
        try:
            for row in stored:
                aggregate = mutate(aggregate, decode(row))
        except Exception as error:  # compared below: the same failure, or both succeed
            results.append((type(error), str(error)))
        else:
            results.append(vars(aggregate))
    return results[0], results[1]


def test_a_report_lacking_a_parameter_of_its_method_fails_as_the_library_fails(
    mapper: Mapper[Any],
) -> None:
    registered, state = _issue_events(mapper)
    del state["text"]
    ours, theirs = _both(mapper, [registered, _report(registered, state)])
    assert ours == theirs
    assert ours[0] is TypeError and "text" in ours[1]


def test_a_report_with_an_attribute_named_as_the_aggregate_parameter_fails_as_the_library_does(
    mapper: Mapper[Any],
) -> None:
    registered, state = _issue_events(mapper)
    state["self"] = "x"
    ours, theirs = _both(mapper, [registered, _report(registered, state)])
    assert ours == theirs
    assert ours[0] is TypeError


def test_a_report_of_another_stream_is_refused_as_the_library_refuses_it(
    mapper: Mapper[Any],
) -> None:
    registered, state = _issue_events(mapper)
    other = _report(registered, state)
    other = StoredEvent(uuid4(), 2, other.topic, other.state)
    ours, theirs = _both(mapper, [registered, other])
    assert ours == theirs
    assert ours[0] is OriginatorIDError


def test_a_missing_version_is_stepped_over_as_before(mapper: Mapper[Any]) -> None:
    registered, state = _issue_events(mapper)
    rows = [registered, _report(registered, state, 2), _report(registered, state, 5)]
    ours, theirs = _both(mapper, rows)
    assert ours == theirs
    assert ours["_version"] == 5


@pytest.mark.parametrize(
    ("case", "change"),
    [
        ("trailing data", lambda text: text + b'{"more":1}'),
        ("trailing whitespace", lambda text: text + b" \n"),
        ("leading whitespace", lambda text: b" " + text),
        ("not UTF-8", lambda text: text[:-1] + b',"x":"\xff"}'),
        ("not JSON", lambda text: text[:-1]),
        ("not an object", lambda text: b"[" + text + b"]"),
        ("empty", lambda text: b""),
        ("an unknown transcoding", lambda text: text.replace(b"uuid_hex", b"uuid_hax")),
    ],
)
def test_a_stored_state_that_is_not_one_compact_object_decodes_or_fails_as_the_mappers(
    mapper: Mapper[Any], case: str, change: Any
) -> None:
    registered, state = _issue_events(mapper)
    good = _report(registered, state)
    changed = StoredEvent(good.originator_id, 2, good.topic, change(good.state))
    ours, theirs = _both(mapper, [registered, changed])
    assert ours == theirs, case
    if case in {"trailing data", "not UTF-8", "not JSON", "empty", "an unknown transcoding"}:
        assert ours[0] is MapperDeserialisationError, case
