"""The audit trail of one item and its state as of a past time or version.

Both replay the item's own stream event by event, as the repository does, so what they
show is what the aggregate was, not what a read table made of it. Public attributes only
(no `_`-prefixed internals), and every secret — the reporter's sealed identity, a webhook's
signing key, at any depth of a state or an event — is shown as 受保护 / protected
(domain.personal_data says which fields are secret): an audit trail is read by more people
than may reveal a reporter or forge a delivery.

Each entry also says whether its event still matches the hash chain the event store keeps
(`Integrity`): an auditor must never read a changed `SignedOff` date as fact. The store
that keeps the hashes answers (`IntegritySource`, infrastructure/event_store.py); a store without
hashes (in-memory unit tests) leaves it unknown (None).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from types import FunctionType
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.domain import (
    Aggregate,
    CanMutateAggregate,
    DecoratedFuncCaller,
    OriginatorIDError,
    OriginatorVersionError,
    decorated_funcs,
)

from domain.as_of_snapshots import SNAPSHOTS
from domain.errors import InvalidInput, NotFound
from domain.messages import says
from domain.personal_data import SECRET_NAMES, protect
from domain.reporter_identity import PROTECTED
from domain.stream_decoding import StreamDecoder
from domain.trail_labels import agency_names, label, shown


class Integrity(Enum):
    """What the hash chain says of one stored event."""

    VERIFIED = "VERIFIED"  # it and every event before it hash to its stored hash row
    ALTERED = "ALTERED"  # it does not match its own hash row (or has none)
    UNCHAINED = "UNCHAINED"  # it matches its hash row, but the chain before it is broken


INTEGRITY_WARNINGS = {
    Integrity.ALTERED: "此记录与其哈希不符，可能被篡改 / this entry does not match its hash: it "
    "may have been altered",
    Integrity.UNCHAINED: "此记录之前的记录缺失或被改动，哈希链已断，无法证明此记录未被改动 / an "
    "entry before this one is missing or altered: the hash chain is broken and this entry "
    "cannot be proven unchanged",
}


@runtime_checkable
class IntegritySource(Protocol):
    def stream_integrity(self, originator_id: UUID) -> Mapping[int, Integrity]: ...


def integrity_of(app: Any, item_id: UUID) -> Mapping[int, Integrity] | None:
    """Version -> integrity of the item's stored events, read after the events shown (the
    stream only grows, so every event shown is in it); None when the store keeps no hashes."""
    recorder = getattr(app, "recorder", None)
    if not isinstance(recorder, IntegritySource):
        return None
    return recorder.stream_integrity(item_id)


# Event fields that are the envelope, not the payload.
ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp"})


def plain(value: Any) -> Any:
    """A JSON-ready copy: ids and enums as strings, times in ISO 8601, dataclasses as dicts."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return str(value)


def masked(name: str, value: Any) -> Any:
    """The JSON-ready value of field `name`, with every secret in it protected."""
    if name in SECRET_NAMES and value is not None:
        return PROTECTED
    return protect(plain(value))


def event_payload(domain_event: Any) -> dict[str, Any]:
    """An event's own fields, secrets protected."""
    return {
        name: masked(name, value)
        for name, value in vars(domain_event).items()
        if name not in ENVELOPE and not name.startswith("_")
    }


def public_state(aggregate: Aggregate) -> dict[str, Any]:
    fields = {
        name: masked(name, value)
        for name, value in vars(aggregate).items()
        if not name.startswith("_")
    }
    return {
        "id": str(aggregate.id),
        "type": type(aggregate).__name__,
        "version": aggregate.version,
        "created_on": plain(aggregate.created_on),
        "modified_on": plain(aggregate.modified_on),
        **fields,
    }


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any
    label: str = ""  # what a person calls the field (domain.trail_labels)
    before_shown: Any = None  # agency ids as names, times in China time
    after_shown: Any = None


@dataclass(frozen=True)
class TrailEntry:
    version: int
    at: datetime
    actor: str
    event_type: str
    topic: str
    changes: list[FieldChange]
    payload: dict[str, Any]
    integrity: Integrity | None = None  # None: the store keeps no hashes

    @property
    def integrity_warning(self) -> str | None:
        return INTEGRITY_WARNINGS.get(self.integrity) if self.integrity else None


_META = frozenset({"version", "modified_on"})


def _diff(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    agency_name: Callable[[str], str | None],
) -> list[FieldChange]:
    old = before or {}
    return [
        FieldChange(
            name,
            old.get(name),
            value,
            label(name),
            shown(name, old.get(name), agency_name),
            shown(name, value, agency_name),
        )
        for name, value in after.items()
        if name not in _META and (name not in old or old[name] != value)
    ]


class _App(Protocol):
    @property
    def repository(self) -> Any: ...


def _topic(domain_event: Any) -> str:
    return str(getattr(type(domain_event), "TOPIC", "") or type(domain_event).__qualname__)


def replay(app: _App, item_id: UUID) -> Iterator[tuple[Any, Aggregate]]:
    """Each event of the stream with the aggregate as it stood right after it. A version
    missing from the stream (deleted by hand) is stepped over rather than refused, as the
    repository would: an auditor is shown what is left, the gap flagged by its integrity."""
    aggregate: Any = None
    for domain_event in app.repository.event_store.get(item_id):
        aggregate = _mutated(aggregate, domain_event)
        yield domain_event, aggregate


def _mutated(aggregate: Any, domain_event: Any) -> Any:
    """The aggregate after `domain_event`, stepping over a missing version (see replay)."""
    if aggregate is not None and domain_event.originator_version != aggregate.version + 1:
        aggregate.version = domain_event.originator_version - 1
    cls = type(domain_event)
    how = _MUTATIONS.get(cls, _UNKNOWN)
    if how is _UNKNOWN:
        how = _mutation(cls)
    if how is None or aggregate is None:
        return domain_event.mutate(aggregate)
    # The library's CanMutateAggregate.mutate with DecoratedFuncCaller.apply in it, their
    # look-ups done once per class (_mutation): the same checks, the same calls with the
    # same arguments, the same assignments, in the same order.
    event_id, aggregate_id = domain_event.originator_id, aggregate.id
    if event_id is not aggregate_id and (
        event_id.int != aggregate_id.int  # UUID.__eq__ compares just these
        if type(event_id) is UUID and type(aggregate_id) is UUID
        else event_id != aggregate_id
    ):
        raise OriginatorIDError(event_id, aggregate_id)
    next_version = aggregate.version + 1
    if domain_event.originator_version != next_version:
        raise OriginatorVersionError(domain_event.originator_version, next_version)
    method, names, first, positional, then = how
    state = vars(domain_event)
    args = None
    if positional is not None and first not in state:
        try:  # every parameter an attribute of the event: the same call, positionally
            args = [state[name] for name in positional]
        except KeyError:
            args = None
    if args is not None:
        method(aggregate, *args)
    else:  # as DecoratedFuncCaller.apply calls it (and fails, where it fails)
        method(aggregate, **{k: v for k, v in state.items() if k in names})
    if then is not None:
        then(domain_event, aggregate)
    aggregate.version = domain_event.originator_version
    aggregate.modified_on = domain_event.timestamp
    return aggregate


# An @event method's function, the names of its parameters, the first one's (the aggregate),
# the others' in order when all may be given by position (else None), and the apply that
# runs after it.
_Mutation = tuple[
    Callable[..., Any], frozenset[str], str, tuple[str, ...] | None, Callable[..., Any] | None
]
_MUTATIONS: dict[type, _Mutation | None] = {}
_UNKNOWN: Any = object()


def _mutation(cls: type) -> _Mutation | None:
    """How events of `cls` mutate an aggregate, for the classes the library makes of
    `@event` methods whose mutate, apply and _as_dict are the library's own: the decorated
    function and its parameters (the event's attributes it is called with, as
    DecoratedFuncCaller.apply filters them), and the apply after DecoratedFuncCaller in the
    class's MRO (its super().apply; None when that is the library's no-op). None for every
    other class: its events' own mutate is called."""
    found: _Mutation | None = None
    if (
        getattr(cls, "mutate", None) is CanMutateAggregate.mutate
        and getattr(cls, "apply", None) is DecoratedFuncCaller.apply
        and getattr(cls, "_as_dict", None) is CanMutateAggregate._as_dict
        and DecoratedFuncCaller in cls.__mro__
    ):
        method = decorated_funcs.get(cls)
        after = cls.__mro__[cls.__mro__.index(DecoratedFuncCaller) + 1 :]
        then = next((c.__dict__["apply"] for c in after if "apply" in c.__dict__), None)
        if type(method) is FunctionType and type(then) is FunctionType:
            parameters = list(inspect.signature(method).parameters.values())
            if parameters:
                by_position = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters)
                found = (
                    method,
                    frozenset(p.name for p in parameters),
                    parameters[0].name,
                    tuple(p.name for p in parameters[1:]) if by_position else None,
                    None if then is CanMutateAggregate.apply else then,
                )
    _MUTATIONS[cls] = found
    return found


def _stored_up_to(event_store: Any, item_id: UUID, version: int | None) -> list[Any]:
    """The stream's stored events, read no further than `version` when the stream has it
    (its last row is that version); otherwise the whole stream, whose last version says
    how far the item went (a version past it is refused, a gap is stepped over)."""
    if version is not None:
        upto = list(event_store.recorder.select_events(item_id, lte=version))
        if upto and upto[-1].originator_version == version:
            return upto
    return list(event_store.recorder.select_events(item_id))


def _decoder(mapper: Any) -> StreamDecoder:
    """The mapper's decoder, kept on the mapper itself (its id cache outlives a call, and
    goes when the application does)."""
    found = getattr(mapper, "_rectify_stream_decoder", None)
    if not isinstance(found, StreamDecoder):
        found = StreamDecoder(mapper)
        mapper._rectify_stream_decoder = found
    return found


class AuditCommands:
    """Mixed into RectifyApp: read-only, nothing here saves."""

    def audit_trail(self: _App, item_id: UUID) -> list[TrailEntry]:
        """Every event of the item: version, when, who, what, and the fields it changed."""
        entries: list[TrailEntry] = []
        before: dict[str, Any] | None = None
        agency_name = agency_names(self.repository)
        for domain_event, aggregate in replay(self, item_id):
            after = public_state(aggregate)
            entries.append(
                TrailEntry(
                    version=int(domain_event.originator_version),
                    at=domain_event.timestamp,
                    actor=str(getattr(domain_event, "actor", "") or ""),
                    event_type=type(domain_event).__name__,
                    topic=_topic(domain_event),
                    changes=_diff(before, after, agency_name),
                    payload=event_payload(domain_event),
                )
            )
            before = after
        if not entries:
            raise NotFound("item", str(item_id))
        checked = integrity_of(self, item_id)
        if checked is None:
            return entries
        return [
            dataclasses.replace(e, integrity=checked.get(e.version, Integrity.ALTERED))
            for e in entries
        ]

    def state_as_of(
        self: _App, item_id: UUID, at: datetime | None = None, version: int | None = None
    ) -> dict[str, Any]:
        """The item's public state after its last event at or before `at` (and at or below
        `version`); with neither, its current state. A version the item has not reached is
        NotFound: showing the current state as "version N" would claim a future."""
        if at is not None and at.tzinfo is None:
            raise InvalidInput("at", says("aware_time"))
        if version is not None and version < 1:
            raise InvalidInput("version", says("versions_start_at_one"))
        stored = _stored_up_to(self.repository.event_store, item_id, version)
        if not stored:
            raise NotFound("item", str(item_id))
        last = int(stored[-1].originator_version)
        if version is not None and version > last:
            raise NotFound("item version", str(item_id), says("versions_up_to", last=last))
        # Each event decoded once, and only up to the one chosen; the public view drawn
        # once, of the chosen version only (drawing it after every event took three
        # quarters of the time; decoding took half of the rest). Without a time, the
        # replay starts from this process's latest snapshot that the rows just read
        # still match (domain.as_of_snapshots, ADR 0062).
        decoder = _decoder(self.repository.event_store.mapper)
        if at is None:  # no event need be decoded to know which is the last one
            count = sum(1 for row in stored if version is None or row.originator_version <= version)
            # the public view only reads the aggregate, and copies what it shows
            shown: dict[str, Any] = SNAPSHOTS.state_after(
                item_id, stored, count, decoder.event, _mutated, view=public_state
            )
            return shown
        events: list[Any] = []
        chosen: int | None = None
        for row in stored:
            if version is not None and row.originator_version > version:
                break
            domain_event = decoder.event(row)
            events.append(domain_event)
            if at is None or domain_event.timestamp <= at:
                chosen = len(events) - 1
            elif version is None:
                break  # later events are later still; with a version, read on to it
        if chosen is None:
            raise NotFound("item state", str(item_id), says("not_yet_existing"))
        aggregate: Any = None
        for domain_event in events[: chosen + 1]:
            aggregate = _mutated(aggregate, domain_event)
        return public_state(aggregate)

    def state_integrity(self: _App, item_id: UUID, state: dict[str, Any]) -> dict[str, Any]:
        """`state` (from state_as_of) with what the hash chain says of the events it was
        built from: `integrity` (the worst of them), and, unless all are verified,
        `integrity_warning` and `unverified_versions`."""
        checked = integrity_of(self, item_id)
        if checked is None:
            return state
        upto = int(state["version"])
        worst = Integrity.VERIFIED
        unverified = []
        for version in range(1, upto + 1):
            found = checked.get(version, Integrity.UNCHAINED)  # a version missing: a gap
            if found is not Integrity.VERIFIED:
                unverified.append(version)
                if worst is not Integrity.ALTERED:
                    worst = found
        shown = {**state, "integrity": worst.value}
        if unverified:
            shown["integrity_warning"] = INTEGRITY_WARNINGS[worst]
            shown["unverified_versions"] = unverified
        return shown
