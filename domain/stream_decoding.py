"""One stream's stored events decoded for the audit's as-of view, with less work per event
than the library's mapper (ADR 0062).

A profile of `state_as_of` at version 1,000 (BENCHMARKS.md) spent about half its time in
`Mapper.to_domain_event`, a third of that building `UUID` objects from hex: every event
carries its actor's agency ids and its event envelope, and a stream repeats the same few
ids a thousand times. This decoder does what the mapper does — the JSON transcoder's
registered transcodings, the originator id and version from the stored row, the class's
upcasters — but decodes each distinct UUID once per decoder and dispatches on the two most
common types without the general lookup. UUIDs are immutable, so sharing one object among
events changes nothing a caller can see. A mapper with a cipher or a compressor, or a
transcoder that is not the JSON one, is left to the mapper itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic

# Distinct ids kept per decoder before it starts afresh: a bound, not a tuning knob.
MAX_KEPT_IDS = 50_000
# Likewise distinct topics: a few dozen event classes in practice.
MAX_KEPT_KINDS = 1_000

# An event class, its originator id's convertor (for ids of the type last), its class version.
_Kind = tuple[type, Callable[[Any], Any], int, type]


class StreamDecoder:
    """Stored events to domain events, equal to what `mapper.to_domain_event` returns."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        self.lean = (
            isinstance(transcoder, JSONTranscoder)
            and mapper.cipher is None
            and mapper.compressor is None
        )
        self._names = transcoder.names if isinstance(transcoder, JSONTranscoder) else {}
        self._ids: dict[str, UUID] = {}
        self._json = json.JSONDecoder(object_hook=self._object)
        # the decoder's scanner itself (raw_decode is a Python frame around it), which also
        # says where the value ended
        self._scan: Callable[[str, int], tuple[Any, int]] = vars(self._json)["scan_once"]
        self._kinds: dict[str, _Kind] = {}

    def _object(self, d: dict[str, Any]) -> Any:
        """The transcoder's object hook: {"_type_": name, "_data_": data} → the value."""
        if len(d) != 2 or "_type_" not in d or "_data_" not in d:
            return d
        name, data = d["_type_"], d["_data_"]
        if name == "uuid_hex" and isinstance(data, str):
            found = self._ids.get(data)
            if found is None:
                if len(self._ids) >= MAX_KEPT_IDS:
                    self._ids.clear()
                found = self._ids[data] = UUID(data)
            return found
        if name == "datetime_iso" and isinstance(data, str):
            return datetime.fromisoformat(data)
        return self._names[cast("str", name)].decode(data)  # KeyError: as the mapper fails

    def event(self, stored: StoredEvent) -> Any:
        if not self.lean:
            return self.mapper.to_domain_event(stored)
        kind = self._kinds.get(stored.topic)
        if kind is None or kind[3] is not type(stored.originator_id):
            try:
                kind = self._kind(stored)
            except Exception:  # an unknown topic, a class without an id type: as the mapper
                return self.mapper.to_domain_event(stored)
        cls, convert, class_version, _ = kind
        try:
            text = stored.state.decode("utf8")
            state, end = self._scan(text, 0)
            compact = end == len(text) and type(state) is dict
        except Exception:
            compact = False
        if not compact:
            # Not one compact JSON object (leading or trailing whitespace, trailing data,
            # bytes that are not UTF-8, no JSON at all, a value that is not an object, a
            # transcoding that fails): the mapper's own path, which decodes it or fails
            # exactly as it does.
            return self.mapper.to_domain_event(stored)
        state["originator_id"] = convert(stored.originator_id)
        state["originator_version"] = stored.originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        domain_event: Any = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event

    def _kind(self, stored: StoredEvent) -> _Kind:
        """What the mapper looks up for each event of a topic, looked up once: its class,
        the originator id's convertor, the class's version (upcasters are not cached)."""
        cls = resolve_topic(stored.topic)
        id_type = type(stored.originator_id)
        kind = (
            cls,
            find_id_convertor(cls, cast(Hashable, id_type)),
            getattr(cls, "class_version", 1),
            id_type,
        )
        if len(self._kinds) >= MAX_KEPT_KINDS:
            self._kinds.clear()
        self._kinds[stored.topic] = kind
        return kind
