"""Personal data in exports: every event field classified, and masking what is a person's."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, DomainEvent

import domain
from domain.personal_data import (
    COMMON,
    FIELDS,
    MASKED,
    SCRUBBED,
    STATE_FIELDS,
    Masker,
    Treatment,
    aggregate_of,
)
from domain.reporter_identity import PROTECTED

ENVELOPE = {"originator_id", "originator_version", "timestamp"}
CLUE, NOTICE, TRANSFER = "clue-1", "notice-1", "transfer-1"


def _event_types() -> dict[str, tuple[type[Aggregate], type[DomainEvent]]]:
    """Every event class of every aggregate in domain/ that names its own topic, by topic
    (the abstract base events named `Event` are never stored)."""
    found: dict[str, tuple[type[Aggregate], type[DomainEvent]]] = {}
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        for obj in vars(importlib.import_module(module.name)).values():
            if not (inspect.isclass(obj) and issubclass(obj, Aggregate)) or obj is Aggregate:
                continue
            for event in vars(obj).values():
                if not (inspect.isclass(event) and issubclass(event, DomainEvent)):
                    continue
                # a library default event (Created) inherits the base's topic: never stored
                if event.TOPIC != obj.Event.TOPIC:  # type: ignore[attr-defined]
                    found[event.TOPIC] = (obj, event)  # type: ignore[attr-defined]
    return found


EVENT_TYPES = _event_types()


@pytest.mark.parametrize("topic", sorted(EVENT_TYPES))
def test_every_field_of_every_event_type_is_classified(topic: str) -> None:
    """A new event type or field must be added to domain.personal_data.FIELDS, saying
    whether it is a person's data, before it can appear in an export."""
    _, event = EVENT_TYPES[topic]
    fields = {f.name for f in dataclasses.fields(event)} - ENVELOPE - set(COMMON)  # type: ignore[arg-type]
    assert topic in FIELDS, f"{topic}: classify its fields in domain/personal_data.py"
    assert set(FIELDS[topic]) == fields, f"{topic}: classify exactly {sorted(fields)}"


def test_the_table_names_only_event_types_that_exist() -> None:
    assert set(FIELDS) - set(EVENT_TYPES) == set()


def test_each_event_type_is_classified_under_its_aggregate_class_name() -> None:
    for topic, (aggregate, _) in EVENT_TYPES.items():
        assert aggregate_of(topic) == aggregate.__name__, topic


def test_the_persons_named_by_clues_transfers_and_discipline_transfers_are_masked() -> None:
    assert FIELDS["rectify:Clue.Received"]["person"] is Treatment.MASK
    assert FIELDS["rectify:CaseTransfer.Reported"]["suspect"] is Treatment.MASK
    assert FIELDS["rectify:DisciplineTransfer.Sent"]["person"] is Treatment.MASK
    assert FIELDS["rectify:Clue.Received"]["institution"] is Treatment.KEEP


def test_a_clue_payload_masks_the_person_protects_the_identity_and_keeps_the_institution() -> None:
    payload = {
        "institution": "某美容院",
        "person": "王医生",
        "sealed_identity": {"kid": "k", "ct": "x"},
        "content": "王医生无证行医，电话13912345678",
        "actor": "卫健局张三",
    }

    masked = Masker().payload(CLUE, "rectify:Clue.Received", payload)

    assert masked == {
        "institution": "某美容院",
        "person": MASKED,
        "sealed_identity": PROTECTED,
        "content": f"{SCRUBBED}无证行医，电话{SCRUBBED}",
        "actor": "卫健局张三",
    }


@pytest.mark.parametrize(
    "text",
    ["13912345678", "0755-12345678", "44030119770707123X", "440301770707123", "a.b@example.cn"],
    ids=["mobile", "landline", "id-number", "old-id-number", "e-mail"],
)
def test_free_text_loses_phone_numbers_id_numbers_and_e_mail_addresses(text: str) -> None:
    masked = Masker().payload(CLUE, "rectify:Clue.Dismissed", {"reason": f"联系{text}核实"})
    assert masked["reason"] == f"联系{SCRUBBED}核实"


def test_case_numbers_and_dates_in_free_text_are_kept() -> None:
    reason = "行罚决字〔2026〕12号，2026-03-31前整改"
    masked = Masker().payload(CLUE, "rectify:Clue.Dismissed", {"reason": reason})
    assert masked["reason"] == reason


def test_a_name_masked_earlier_is_scrubbed_from_the_same_items_later_free_text() -> None:
    masker = Masker()
    masker.payload(TRANSFER, "rectify:CaseTransfer.Reported", {"suspect": "赵六", "facts": ""})

    later = masker.payload(TRANSFER, "rectify:CaseTransfer.Refused", {"reasons": "赵六已死亡"})

    assert later["reasons"] == f"{SCRUBBED}已死亡"


def test_a_notice_about_an_item_loses_that_items_names() -> None:
    masker = Masker()
    masker.payload(CLUE, "rectify:Clue.Received", {"person": "王医生"})

    notice = masker.payload(
        NOTICE, "rectify:Notice.Issued", {"item_id": CLUE, "body": "答复实名举报人：王医生"}
    )

    assert notice == {"item_id": CLUE, "body": f"答复实名举报人：{SCRUBBED}"}


def test_an_unclassified_event_type_is_scrubbed_rather_than_let_through() -> None:
    masked = Masker().payload(CLUE, "rectify:Unknown.Happened", {"note": "电话13912345678"})
    assert masked == {"note": f"电话{SCRUBBED}"}


def test_a_state_masks_the_attributes_its_events_mask() -> None:
    state: dict[str, Any] = {
        "id": TRANSFER,
        "type": "CaseTransfer",
        "suspect": "赵六",
        "facts": "赵六虚构病历",
        "police_name": "县公安局",
    }

    masked = Masker().state(TRANSFER, "CaseTransfer", state)

    assert masked == {
        "id": TRANSFER,
        "type": "CaseTransfer",
        "suspect": MASKED,
        "facts": f"{SCRUBBED}虚构病历",
        "police_name": "县公安局",
    }
    assert STATE_FIELDS["Clue"]["sealed_identity"] is Treatment.PROTECT
