"""Changing an event class: what breaks old stored events, and the upcaster that mends it
(ADR 0029).

`Agency.Registered` is at class_version 2 (it says the region); the v1 fixtures, stored
before, load through its `upcast_v1_v2`. And a rename done without one — `findings` of an
inspection renamed `notes`, on a stand-in aggregate whose topics the test makes today's
stored inspection topics resolve to — fails the fixture checks until its upcaster is added.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Mapper
from eventsourcing.utils import _topic_cache

from domain.agencies import Agency
from tests.fixtures.stored_events import FOLDER as FIXTURES
from tests.fixtures.stored_events import (
    Fixture,
    all_fixtures,
    field_problems,
    load,
    mapper,
    replay,
    streams,
)

USES = (mapper,)  # the fixture: the application's mapper, module-scoped

V1_RECORDING = FIXTURES / "recorded-2026-12-06.json"  # before Agency.Registered v2


def v1_registrations() -> list[Fixture]:
    found = [f for f in load(V1_RECORDING) if f.topic == "rectify:Agency.Registered"]
    assert found and all(f.class_version == 1 for f in found)
    return found


# -- the real upcast: Agency.Registered v1 -> v2 ------------------------------------------


def test_a_v1_registration_loads_as_v2_with_no_region(mapper: Mapper[Any]) -> None:
    for fixture in v1_registrations():
        registered = mapper.to_domain_event(fixture.stored_event())

        assert isinstance(registered, Agency.Registered)
        assert registered.region is None
        assert field_problems(registered) == []


def test_agencies_stored_by_v1_code_keep_the_region_assigned_later(mapper: Mapper[Any]) -> None:
    agencies = [
        replay(mapper, stream)
        for stream in streams(load(V1_RECORDING))
        if stream[0].topic == "rectify:Agency.Registered"
    ]

    regions = {agency.name: agency.region for agency in agencies}
    assert regions["县卫健局"] == "某县"  # Registered (v1, upcast) then RegionAssigned
    assert regions["各乡镇人民政府"] is None  # a group never given one


def test_a_registration_with_a_region_is_stored_as_v2_and_loads_with_it(
    mapper: Mapper[Any],
) -> None:
    agency = Agency("县卫健局", "AGENCY", "县级", None, "管理员", region="某县")

    stored = mapper.to_stored_event(agency.collect_events()[0])
    loaded = mapper.to_domain_event(stored)

    assert b'"class_version":2' in stored.state and b'"region":"\xe6\x9f\x90\xe5\x8e\xbf"' in (
        stored.state
    )
    assert isinstance(loaded, Agency.Registered) and loaded.region == "某县"
    assert loaded.mutate(None).region == "某县"  # type: ignore[attr-defined]


def test_the_recorded_v2_registrations_load_without_upcasting(mapper: Mapper[Any]) -> None:
    v2 = [f for f in all_fixtures() if f.topic == "rectify:Agency.Registered"]
    v2 = [f for f in v2 if f.class_version == 2]

    assert v2
    for fixture in v2:
        assert field_problems(mapper.to_domain_event(fixture.stored_event())) == []


def test_without_its_upcaster_a_v1_registration_does_not_load(
    mapper: Mapper[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # On the class as declared: the library subclasses it under the same topic.
    declared = next(c for c in Agency.Registered.__mro__ if "upcast_v1_v2" in vars(c))
    monkeypatch.delattr(declared, "upcast_v1_v2")

    with pytest.raises(AttributeError, match="upcast_v1_v2"):
        mapper.to_domain_event(v1_registrations()[0].stored_event())


def test_a_field_added_without_a_class_version_is_missing_from_v1_events(
    mapper: Mapper[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Agency.Registered, "class_version", 1)

    registered = mapper.to_domain_event(v1_registrations()[0].stored_event())

    assert field_problems(registered) == [
        "Agency.Registered.region is not in the stored state and has no default"
    ]
    with pytest.raises(AttributeError):
        registered.region  # type: ignore[attr-defined]  # noqa: B018 - a reader would fail so


# -- a rename: Inspection's `findings` called `notes` -----------------------------------


def inspection_with_notes(upcast: bool) -> type[Aggregate]:
    """Inspection as it would be with `findings` renamed `notes`, with or without the
    upcasters that rename the stored field."""
    name = "WithUpcaster" if upcast else "WithoutUpcaster"

    def rename(state: dict[str, Any]) -> None:
        state["notes"] = state.pop("findings")

    class Inspection(Aggregate):
        TOPIC = f"test-upcasting:{name}"

        class Event(Aggregate.Event):
            TOPIC = f"test-upcasting:{name}.Event"

        class Recorded(Aggregate.Created):
            TOPIC = f"test-upcasting:{name}.Recorded"
            if upcast:
                class_version = 2
                upcast_v1_v2 = staticmethod(rename)
            campaign_id: UUID
            institution: str
            category: str
            region: str | None
            agency_id: UUID
            on: date
            notes: str
            actor: str

        class Repeated(Aggregate.Event):
            TOPIC = f"test-upcasting:{name}.Repeated"
            if upcast:
                class_version = 2
                upcast_v1_v2 = staticmethod(rename)
            agency_id: UUID
            on: date
            notes: str
            actor: str

        @event(Recorded)
        def __init__(
            self,
            campaign_id: UUID,
            institution: str,
            category: str,
            region: str | None,
            agency_id: UUID,
            on: date,
            notes: str,
            actor: str,
        ) -> None:
            self.institution = institution
            self.notes = [notes]

        @event(Repeated)
        def _repeat(self, agency_id: UUID, on: date, notes: str, actor: str) -> None:
            self.notes.append(notes)

    return Inspection


WITHOUT_UPCASTER = inspection_with_notes(upcast=False)
WITH_UPCASTER = inspection_with_notes(upcast=True)


def inspections_resolve_to(stand_in: type[Aggregate], monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's stored inspection topics now name the stand-in's classes, as if its module
    had replaced domain/inspections.py."""
    for topic, cls in (
        ("rectify:Inspection", stand_in),
        ("rectify:Inspection.Recorded", getattr(stand_in, "Recorded")),  # noqa: B009
        ("rectify:Inspection.Repeated", getattr(stand_in, "Repeated")),  # noqa: B009
    ):
        monkeypatch.setitem(_topic_cache, topic, cls)


def inspection_stream() -> list[Fixture]:
    return next(
        stream
        for stream in streams(load(V1_RECORDING))
        if stream[0].topic == "rectify:Inspection.Recorded" and len(stream) > 1
    )


def test_a_renamed_field_fails_decoding_and_replay_of_the_stored_events(
    mapper: Mapper[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    inspections_resolve_to(WITHOUT_UPCASTER, monkeypatch)
    stream = inspection_stream()

    problems = field_problems(mapper.to_domain_event(stream[0].stored_event()))

    assert problems == [
        "'findings' is stored but is no field of Inspection.Recorded (renamed or removed?)",
        "Inspection.Recorded.notes is not in the stored state and has no default",
    ]
    with pytest.raises(TypeError, match="notes"):
        replay(mapper, stream)


def test_the_upcaster_renaming_the_field_loads_the_stored_events(
    mapper: Mapper[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    inspections_resolve_to(WITH_UPCASTER, monkeypatch)
    stream = inspection_stream()

    decoded = [mapper.to_domain_event(f.stored_event()) for f in stream]
    inspection = replay(mapper, stream)

    assert [field_problems(e) for e in decoded] == [[], []]
    assert type(inspection) is WITH_UPCASTER
    assert inspection.notes == ["处方不规范", "已整改"]  # the stored findings, in order
