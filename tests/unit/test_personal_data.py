"""Personal data in exports: every event field classified, and masking what is a person's."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator, Mapping
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, DomainEvent

import domain
from domain.audit_trail import event_payload, public_state
from domain.delivery import ChannelKind, Endpoints
from domain.personal_data import (
    COMMON,
    FIELDS,
    MASKED,
    NOT_SECRET,
    PROTECTED_IN_TEXT,
    SCRUBBED,
    SECRET_NAMES,
    SECRET_VALUE_FIELDS,
    STATE_FIELDS,
    Masker,
    Treatment,
    aggregate_of,
    protect,
    without_url_secrets,
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


# -- secrets: classified wherever they are, protected at every depth ----------------------

HOOK_SECRET = "hook-signing-key-Zq81xW"


def test_a_secret_nested_in_maps_and_lists_is_protected_at_every_depth() -> None:
    value = {
        "endpoints": {"e1": {"address": "https://a.example", "secret": HOOK_SECRET}},
        "history": [[{"secret": HOOK_SECRET, "kinds": ["overdue"]}]],
        "sealed": {"note": "x", "sealed_identity": {"kid": "k", "ct": HOOK_SECRET}},
    }

    shown = protect(value)

    assert HOOK_SECRET not in repr(shown)
    assert shown["endpoints"]["e1"] == {"address": "https://a.example", "secret": PROTECTED}
    assert shown["history"][0][0] == {"secret": PROTECTED, "kinds": ["overdue"]}
    assert shown["sealed"]["sealed_identity"] == PROTECTED


def _endpoints_with_two_webhooks() -> Endpoints:
    endpoints = Endpoints(agency_id=uuid4())
    endpoints.add(ChannelKind.WEBHOOK, "https://a.example/hook", HOOK_SECRET, [], "管理员")
    endpoints.add(ChannelKind.WEBHOOK, "https://b.example/hook", HOOK_SECRET + "2", [], "管理员")
    return endpoints


def test_the_endpoints_state_shows_each_webhook_but_none_of_their_secrets() -> None:
    endpoints = _endpoints_with_two_webhooks()

    state = public_state(endpoints)

    assert HOOK_SECRET not in repr(state)
    shown = sorted(e["address"] for e in state["endpoints"].values())
    assert shown == ["https://a.example/hook", "https://b.example/hook"]
    assert {e["secret"] for e in state["endpoints"].values()} == {PROTECTED}


def test_an_endpoint_added_events_payload_protects_its_secret() -> None:
    added = _endpoints_with_two_webhooks().collect_events()[-1]
    payload = event_payload(added)
    assert payload["secret"] == PROTECTED and HOOK_SECRET not in repr(payload)


def test_an_export_of_a_state_protects_a_secret_its_table_would_keep() -> None:
    """Masker is safe on its own: a nested secret under a kept attribute is protected."""
    state = {"id": "x", "type": "Endpoints", "endpoints": {"e": {"secret": HOOK_SECRET}}}
    masked = Masker().state("x", "Endpoints", state)
    assert masked["endpoints"] == {"e": {"secret": PROTECTED}}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://oapi.dingtalk.com/robot/send?access_token=9f8e7d&timestamp=1&sign=abc%2B",
            f"https://oapi.dingtalk.com/robot/send?access_token={PROTECTED_IN_TEXT}"
            f"&timestamp=1&sign={PROTECTED_IN_TEXT}",
        ),
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
            f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={PROTECTED_IN_TEXT}",
        ),
        ("https://bot:pa55w0rd@hooks.example/in", f"https://{PROTECTED_IN_TEXT}@hooks.example/in"),
        ("https://hooks.example/in?agency=7", "https://hooks.example/in?agency=7"),
    ],
    ids=["dingtalk", "wecom", "userinfo", "no-credential"],
)
def test_credentials_inside_a_webhook_url_are_protected(url: str, shown: str) -> None:
    assert without_url_secrets(url) == shown
    assert protect({"address": url}) == {"address": shown}


SECRET_LOOKING = re.compile(r"secret|passw|token|credential|private|apikey|(?:^|_)keys?(?:$|_)")


def _looks_secret(name: str) -> bool:
    return bool(SECRET_LOOKING.search(name.lower()))


def unprotected_event_secrets(
    events: Mapping[str, type[DomainEvent]], table: Mapping[str, Mapping[str, Treatment]]
) -> list[str]:
    """`topic.field` of every event field whose name looks like a secret's but which the
    table does not classify PROTECT (nor NOT_SECRET explains)."""
    return sorted(
        f"{topic}.{field.name}"
        for topic, event in events.items()
        for field in dataclasses.fields(event)  # type: ignore[arg-type]
        if _looks_secret(field.name)
        and field.name not in NOT_SECRET
        and table.get(topic, {}).get(field.name) is not Treatment.PROTECT
    )


def test_every_event_field_that_looks_like_a_secret_is_classified_protect() -> None:
    events = {topic: event for topic, (_, event) in EVENT_TYPES.items()}
    assert unprotected_event_secrets(events, FIELDS) == []


def test_a_new_event_with_an_unclassified_secret_looking_field_fails_the_check() -> None:
    class Mailer(Aggregate):
        class TokenSet(Aggregate.Event):
            TOPIC = "rectify:Mailer.TokenSet"
            smtp_password: str
            api_token: str
            label: str

    events = {"rectify:Mailer.TokenSet": Mailer.TokenSet}
    kept = {"rectify:Mailer.TokenSet": {"api_token": Treatment.KEEP, "label": Treatment.KEEP}}

    assert unprotected_event_secrets(events, kept) == [
        "rectify:Mailer.TokenSet.api_token",
        "rectify:Mailer.TokenSet.smtp_password",
    ]


def _domain_classes() -> Iterator[tuple[str, type]]:
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        for obj in vars(importlib.import_module(module.name)).values():
            if inspect.isclass(obj) and obj.__module__ == module.name:
                yield f"{module.name}.{obj.__qualname__}", obj


def test_every_value_object_field_that_looks_like_a_secret_is_classified() -> None:
    """A dataclass kept inside a state (the endpoints map keeps Endpoint) shows its fields
    nested in a state and in its before/after changes."""
    unclassified = [
        f"{name}.{field.name}"
        for name, cls in _domain_classes()
        if dataclasses.is_dataclass(cls) and not issubclass(cls, DomainEvent)
        for field in dataclasses.fields(cls)
        if _looks_secret(field.name)
        and field.name not in NOT_SECRET
        and field.name not in SECRET_VALUE_FIELDS.get(name, frozenset())
    ]
    assert unclassified == []


ATTRIBUTE = re.compile(r"self\.([a-z_]\w*)\s*(?::[^=\n]+)?=(?!=)")


def test_every_state_attribute_that_looks_like_a_secret_is_classified() -> None:
    """An attribute an aggregate sets without an event field of that name."""
    unclassified = sorted(
        f"{name}.{attribute}"
        for name, cls in _domain_classes()
        if issubclass(cls, Aggregate)
        for attribute in ATTRIBUTE.findall(inspect.getsource(cls))
        if _looks_secret(attribute)
        and attribute not in NOT_SECRET
        and attribute not in SECRET_NAMES
    )
    assert unclassified == []


def test_the_classified_secrets_include_the_webhook_key_and_the_sealed_identity() -> None:
    assert {"secret", "sealed_identity", "keys"} <= SECRET_NAMES
    assert FIELDS["rectify:Endpoints.EndpointAdded"]["secret"] is Treatment.PROTECT
    assert SECRET_NAMES.isdisjoint(NOT_SECRET)


def test_a_delivery_to_a_webhook_whose_url_is_a_credential_shows_no_token() -> None:
    """The delivery's own address (Delivery.Requested) and an error quoting the URL."""
    url = "https://oapi.dingtalk.com/robot/send?access_token=tok-77aa"
    masker = Masker()

    requested = masker.payload("d", "rectify:Delivery.Requested", {"address": url})
    failed = masker.payload(
        "d", "rectify:Delivery.AttemptFailed", {"error": f"HTTP 404 for url '{url}'"}
    )

    assert "tok-77aa" not in repr([requested, failed])
    assert requested["address"].endswith(f"access_token={PROTECTED_IN_TEXT}")


# -- names in the forms a clue really carries them (issue 13 item 4) ---------------------


@pytest.mark.parametrize(
    ("person", "text"),
    [
        ("陈某某（店主）", "店主陈某某多次收取回扣"),
        ("陈某某(店主)", "经查陈某某多次收取回扣"),
        ("店主陈某某", "陈某某多次收取回扣"),
        ("店主：陈大明", "陈大明多次收取回扣"),
        ("陈大明（法定代表人）", "法定代表人陈大明多次收取回扣"),
        ("欧阳某某（院长）", "院长欧阳某某多次收取回扣"),
        ("陈某某（店主）、李某（护士）", "护士李某多次收取回扣"),
    ],
    ids=["note-after", "ascii-brackets", "title-before", "label", "full-name", "compound", "two"],
)
def test_a_person_named_in_a_field_is_masked_inside_the_free_text_too(
    person: str, text: str
) -> None:
    masker = Masker()
    masker.payload(CLUE, "rectify:Clue.Received", {"person": person, "content": ""})

    later = masker.payload(CLUE, "rectify:Clue.Concluded", {"outcome": text})

    assert later["outcome"].endswith(f"{SCRUBBED}多次收取回扣"), later
    for name in ("陈某某", "陈大明", "欧阳某某", "李某"):
        assert name not in later["outcome"]


def test_a_name_in_the_same_events_free_text_is_masked() -> None:
    masked = Masker().payload(
        CLUE,
        "rectify:Clue.Received",
        {"person": "陈某某（店主）", "content": "举报店主陈某某无证行医"},
    )
    assert masked["content"] == f"举报店主{SCRUBBED}无证行医"


def test_a_surname_written_with_mou_is_masked_even_where_no_field_names_it() -> None:
    masked = Masker().payload(CLUE, "rectify:Clue.Dismissed", {"reason": "其妻王某某代收费用"})
    assert masked["reason"] == f"其妻{SCRUBBED}代收费用"


def test_everyday_words_before_mou_are_kept() -> None:
    reason = "于某日向某医院反映，和某人同行"
    masked = Masker().payload(CLUE, "rectify:Clue.Dismissed", {"reason": reason})
    assert masked["reason"] == reason


def test_a_title_alone_is_not_taken_for_a_name() -> None:
    masker = Masker()
    masker.payload(CLUE, "rectify:Clue.Received", {"person": "陈某某（店主）", "content": ""})

    later = masker.payload(CLUE, "rectify:Clue.Concluded", {"outcome": "已约谈店主"})

    assert later["outcome"] == "已约谈店主"


@pytest.mark.parametrize(
    "number",
    ["１３５１２３４５６７８", "135-1234-5678", "135 1234 5678",
     "４４０３０１１９７７０７０７１２３Ｘ", "０７５５－１２３４５６７８", "a.b＠example.cn"],
    ids=["full-width-mobile", "dashed-mobile", "spaced-mobile", "full-width-id",
         "full-width-landline", "full-width-at"],
)  # fmt: skip
def test_phone_and_id_numbers_in_full_width_digits_are_masked(number: str) -> None:
    masked = Masker().payload(CLUE, "rectify:Clue.Dismissed", {"reason": f"联系{number}核实"})
    assert masked["reason"] == f"联系{SCRUBBED}核实"
