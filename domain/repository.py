"""How the application loads an aggregate: from a cache of the aggregates it loaded
before, brought up to date with the events stored since (docs/decisions/0061).

A command loads its item, decides and saves. Replaying the whole stream for every command
decodes every event the item ever had (a 100-event issue: 100 JSON decodes and mutations
per click), and the library's projector asserts each event against a runtime-checkable
Protocol, which on Python 3.11 costs more than the decoding. Here the cached aggregate is
fast-forwarded with the events after its version (the same one round trip a full load
makes, usually returning nothing or the command's own last event) and a deep copy is
handed out, so a command that fails leaves the cache as it was.

The library's cache does the fast-forward under a per-aggregate lock but copies after
releasing it, so a second thread fast-forwarding the same aggregate can mutate it while
the first copies it (a torn copy: one version's number, another's state). Here the
fast-forward and the copy happen under one lock. Correctness does not rest on the cache
being fresh: every save is checked by the primary key (originator_id, originator_version)
as before, and the fast-forward reads in a snapshot of its own, exactly as a full load would.

A command decides first on the cached copy without that read (ADR 0074, `cached_copy`,
domain/retrying.py): its save of the next version is refused by the primary key if the
stream moved on. After a save commits, `saved` brings the cached aggregate forward by the
events as stored, so the next command finds it current.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, LRUCache, Repository
from eventsourcing.persistence import EventStore, StoredEvent

# shared between the copy and the cached aggregate: values that cannot change in place
_IMMUTABLE: frozenset[type] = frozenset(
    {str, int, float, bool, bytes, type(None), UUID, datetime, date, time, timedelta, Decimal}
)
# the same, with the enum classes met so far (an enum member is never copied)
_SHARED_KINDS: set[type] = set(_IMMUTABLE)
# kinds met so far that are neither an enum nor a frozen dataclass, so never shared: asking
# a class for an attribute it lacks raises and formats an AttributeError inside, about 9
# times a command before these were remembered (ADR 0086)
_UNSHARED_KINDS: set[type] = {list, dict, tuple, set}
# aggregate classes met so far without a __deepcopy__ of their own
_PLAIN_CLASSES: set[type] = set()
CACHE_SIZE = 2000  # aggregates per application; AGGREGATE_CACHE_MAXSIZE overrides, 0 = none
LOCK_STRIPES = 64


def project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's project_aggregate without its per-event `isinstance(…, Protocol)`
    assertion (a third of a command's CPU time on a 12-event stream)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def copy_aggregate(aggregate: Any) -> Any:
    """What deepcopy gives, in a third of its time: immutable values (ids, datetimes,
    strings, enum members, frozen dataclasses of such values) are shared instead of rebuilt
    through __reduce_ex__; lists, dicts, sets and tuples are copied, and anything else goes
    through deepcopy with the same memo, so two attributes that share a list still share
    its copy."""
    kind = type(aggregate)
    if kind not in _PLAIN_CLASSES:
        if hasattr(kind, "__deepcopy__") or not hasattr(aggregate, "__dict__"):
            return deepcopy(aggregate)
        _PLAIN_CLASSES.add(kind)
    memo: dict[int, Any] = {}
    copied = object.__new__(type(aggregate))
    memo[id(aggregate)] = copied
    copied.__dict__.update({k: _copy(v, memo) for k, v in vars(aggregate).items()})
    return copied


def _shareable(value: Any) -> bool:
    """Whether `value` cannot change in place: an immutable scalar, an enum member, or a
    frozen dataclass (a `Deadline`) whose every attribute is shareable (ADR 0068: the
    deepcopy of an issue's two deadlines was a third of the copy's time)."""
    kind = type(value)
    if kind in _SHARED_KINDS:
        return True
    if kind in _UNSHARED_KINDS:
        return False
    if issubclass(kind, Enum):
        _SHARED_KINDS.add(kind)
        return True
    params = getattr(kind, "__dataclass_params__", None)
    if params is None or not params.frozen:
        _UNSHARED_KINDS.add(kind)
        return False
    state = getattr(value, "__dict__", None)  # slotted classes are copied, not judged
    return state is not None and all(_shareable(v) for v in state.values())


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _SHARED_KINDS or _shareable(value):
        return value
    if id(value) in memo:
        return memo[id(value)]
    copied: Any
    if kind is list:
        copied = memo[id(value)] = []
        copied.extend(_copy(v, memo) for v in value)
    elif kind is dict:
        copied = memo[id(value)] = {}
        copied.update((k, _copy(v, memo)) for k, v in value.items())
    elif kind is tuple:
        copied = memo[id(value)] = tuple(_copy(v, memo) for v in value)
    elif kind is set:
        copied = memo[id(value)] = {_copy(v, memo) for v in value}
    else:
        copied = deepcopy(value, memo)
    return copied


class CachingRepository(Repository[UUID]):
    def __init__(self, event_store: EventStore[UUID], cache_size: int) -> None:
        super().__init__(event_store, cache_maxsize=None)
        self._cached: LRUCache[UUID, Any] | None = (
            LRUCache(maxsize=cache_size) if cache_size > 0 else None
        )
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: Any = project,
        **_: Any,
    ) -> Any:
        if self._cached is None or version is not None:
            return self._reconstruct_aggregate(aggregate_id, version, projector_func)
        with self._locks[hash(aggregate_id) % LOCK_STRIPES]:
            try:
                cached = self._cached.get(aggregate_id)
            except KeyError:
                cached = self._reconstruct_aggregate(aggregate_id, None, projector_func)
            else:
                try:
                    newer = self.event_store.get(originator_id=aggregate_id, gt=cached.version)
                    cached = projector_func(cached, newer)
                except BaseException:
                    # half fast-forwarded: never hand it out again
                    self._cached.get(aggregate_id, evict=True)
                    raise
                if cached is None:  # pragma: no cover - aggregates are never deleted
                    self._cached.get(aggregate_id, evict=True)
                    raise AggregateNotFoundError(aggregate_id)
            self._cached.put(aggregate_id, cached)
            return copy_aggregate(cached)

    def cached_copy(self, aggregate_id: UUID) -> Any | None:
        """A copy of the aggregate as cached, without asking the log what came after it;
        None when it is not cached (ADR 0074). Only for a command that saves what it
        decides: the save's primary key (originator_id, originator_version) refuses it if
        the stream moved on since, and the command is then decided again on the stream
        as it is read (domain/retrying.py)."""
        if self._cached is None:
            return None
        with self._locks[hash(aggregate_id) % LOCK_STRIPES]:
            try:
                cached = self._cached.get(aggregate_id)
            except KeyError:
                return None
            return copy_aggregate(cached)

    def saved(self, stored: Sequence[StoredEvent], decode: Callable[[StoredEvent], Any]) -> None:
        """After a save committed: a cached aggregate whose version is just below its
        saved events is brought forward by them as stored — decoded from the bytes
        written, what the next load would read — so the next command finds it current
        without reading the log. Never the command's own copy: its state after deciding
        is not always what a replay gives (ADR 0068). Any other cached version is left
        to the next load's fast-forward."""
        if self._cached is None:
            return
        streams: dict[Any, list[StoredEvent]] = {}
        for event in stored:
            streams.setdefault(event.originator_id, []).append(event)
        for aggregate_id, events in streams.items():
            with self._locks[hash(aggregate_id) % LOCK_STRIPES]:
                try:
                    cached = self._cached.get(aggregate_id)
                except KeyError:
                    continue
                if cached.version != events[0].originator_version - 1:
                    continue
                try:
                    cached = project(cached, [decode(e) for e in events])
                except Exception:
                    # the save committed: a cached item that cannot follow is dropped
                    # (half brought forward), the command's answer stands
                    self._cached.get(aggregate_id, evict=True)
                    continue
                self._cached.put(aggregate_id, cached)
