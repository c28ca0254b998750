"""Sealing a reporter's identity: AES-GCM under a named key, key rotation, and the refusal
of the development key in production."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from uuid import uuid4

import pytest

from domain.application import RectifyApp
from domain.clocks import TIMEZONE
from domain.clues import Clue
from domain.errors import InvalidInput
from domain.reporter_identity import (
    DEV_KEY_ID,
    KEYS_VARIABLE,
    IdentityKeys,
    KeyConfigurationError,
    ReporterIdentity,
    new_key,
    seal,
    unseal,
)
from infrastructure.calendar_data import build_calendar

REPORTER = ReporterIdentity(
    "王五", phone="13912345678", id_number="110101199001011234", address="某县某路1号"
)
K1, K2 = new_key(), new_key()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TIMEZONE)


def test_sealed_identity_holds_no_plaintext_and_names_its_key() -> None:
    keys = IdentityKeys.parse(f"k1:{K1}")
    sealed = seal(REPORTER, keys, uuid4())
    assert sealed["kid"] == "k1"
    text = repr(sealed)
    for secret in ("王五", "13912345678", "110101199001011234", "某县某路1号"):
        assert secret not in text


def test_sealed_identity_opens_with_its_key() -> None:
    keys, item = IdentityKeys.parse(f"k1:{K1}"), uuid4()
    assert unseal(seal(REPORTER, keys, item), keys, item) == REPORTER


def test_sealed_identity_does_not_open_for_another_clue() -> None:
    keys = IdentityKeys.parse(f"k1:{K1}")
    with pytest.raises(KeyConfigurationError):
        unseal(seal(REPORTER, keys, uuid4()), keys, uuid4())


def test_tampered_ciphertext_does_not_open() -> None:
    keys, item = IdentityKeys.parse(f"k1:{K1}"), uuid4()
    sealed = seal(REPORTER, keys, item)
    sealed["ct"] = sealed["ct"][:-4] + ("AAAA" if not sealed["ct"].endswith("AAAA") else "BBBB")
    with pytest.raises(KeyConfigurationError):
        unseal(sealed, keys, item)


def test_old_key_still_opens_after_rotation_and_new_seals_use_the_current_key() -> None:
    item = uuid4()
    old = seal(REPORTER, IdentityKeys.parse(f"k1:{K1}"), item)
    rotated = IdentityKeys.parse(f"k2:{K2},k1:{K1}")
    assert unseal(old, rotated, item) == REPORTER
    assert seal(REPORTER, rotated, item)["kid"] == "k2"


def test_identity_sealed_with_a_removed_key_is_refused_naming_the_key() -> None:
    item = uuid4()
    old = seal(REPORTER, IdentityKeys.parse(f"k1:{K1}"), item)
    with pytest.raises(KeyConfigurationError, match="k1"):
        unseal(old, IdentityKeys.parse(f"k2:{K2}"), item)


@pytest.mark.parametrize(
    "text",
    ["k1", f"k1:{K1},k1:{K2}", "k1:not-base64!", "k1:" + "QUFB", ":" + K1, " , "],
    # Named ids: the keys are random, and test ids must match in every collecting process.
    ids=["no-key", "repeated-id", "not-base64", "too-short", "no-id", "empty"],
)
def test_malformed_keys_are_refused(text: str) -> None:
    with pytest.raises(KeyConfigurationError):
        IdentityKeys.parse(text)


def test_unset_keys_give_the_marked_development_key() -> None:
    keys = IdentityKeys.from_env({})
    assert keys.is_development
    assert keys.current == DEV_KEY_ID


def test_unset_keys_are_refused_in_production() -> None:
    with pytest.raises(KeyConfigurationError, match="production"):
        IdentityKeys.from_env({"RECTIFY_MODE": "production"})


def test_the_published_development_key_is_refused_in_production_under_any_kid() -> None:
    published = base64.b64encode(IdentityKeys.development().keys["dev-insecure"]).decode()
    env = {"RECTIFY_MODE": "production", "RECTIFY_IDENTITY_KEYS": f"prod-2026:{published}"}

    with pytest.raises(KeyConfigurationError, match="published development key"):
        IdentityKeys.from_env(env)


def test_the_published_development_key_may_be_listed_in_development() -> None:
    published = base64.b64encode(IdentityKeys.development().keys["dev-insecure"]).decode()

    keys = IdentityKeys.from_env({"RECTIFY_IDENTITY_KEYS": f"k1:{published}"})

    assert keys.current == "k1"


def test_identity_repr_never_shows_personal_data() -> None:
    assert "13912345678" not in repr(REPORTER)
    assert "王五" not in str(REPORTER)


def test_named_identity_without_a_contact_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"reporter\.phone"):
        ReporterIdentity("王五")


# -- re-encryption --------------------------------------------------------------------------


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo", KEYS_VARIABLE: f"k1:{K1}"}
    )
    application.calendar_source = lambda _app: build_calendar()
    yield application
    application.close()


def test_reseal_moves_a_clue_to_the_current_key_with_an_event(app: RectifyApp) -> None:
    health = app.register_agency("县卫健局", actor="admin").id
    item = app.receive_clue(
        health, "LETTER", "收取红包", actor="李四", person="某医生", reporter=REPORTER,
        real_name=True, at=MONDAY,
    ).id  # fmt: skip
    app.env[KEYS_VARIABLE] = f"k2:{K2},k1:{K1}"
    assert app.reseal_clue(item, "admin").changed
    clue = app.get_clue(item)
    assert clue.identity_key_id == "k2"
    events = list(app.events.get(item))
    assert isinstance(events[-1], Clue.IdentityResealed)
    # Once resealed, the old key may go.
    app.env[KEYS_VARIABLE] = f"k2:{K2}"
    identity, _ = app.reveal_reporter(item, health, "核实", "李四")
    assert identity == REPORTER


def test_reseal_of_a_clue_already_on_the_current_key_appends_nothing(app: RectifyApp) -> None:
    health = app.register_agency("县卫健局", actor="admin").id
    item = app.receive_clue(
        health, "LETTER", "收取红包", actor="李四", person="某医生", reporter=REPORTER,
        real_name=True, at=MONDAY,
    ).id  # fmt: skip
    assert not app.reseal_clue(item, "admin").changed


def test_the_reporters_identity_is_taken_out_of_free_text() -> None:
    from domain.reporter_identity import WITHHELD

    reporter = ReporterIdentity("张三", "139-8765-4321", "110101199003071234", "城关镇幸福路8号")
    text = (
        "张三来电（13987654321，139 8765 4321）称城关镇幸福路8号旁诊所无证行医，"
        "身份证110101199003071234，罚款1.5万元，2026年3月"
    )
    withheld = reporter.withheld_from(text)

    for value in ("张三", "13987654321", "139 8765 4321", "110101199003071234", "幸福路8号"):
        assert value not in withheld
    assert withheld.count(WITHHELD) == 5
    assert "诊所无证行医" in withheld and "1.5万元" in withheld and "2026年3月" in withheld


def test_a_longer_number_containing_the_phone_is_left_alone() -> None:
    reporter = ReporterIdentity("李四", "13987654321")
    assert reporter.withheld_from("案号913987654321000") == "案号913987654321000"
