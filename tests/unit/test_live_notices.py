"""What a live notice says and whom it concerns, without a database or a socket."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest

from api.auth import InvalidToken, Role, User
from api.live import Notice, bearer_of, concerns, parse
from domain.parties import agencies_named
from domain.referrals import Referral
from projections import changes

# Fixed ids: test ids must be the same in every collecting process (pytest-xdist).
HEALTH = UUID("55cb59f9-2394-4602-964c-4bc8a98fe4e1")
MARKET = UUID("76644534-5c6c-4cb5-80d0-6e08467c28b5")


def test_kinds_are_the_names_clients_filter_on() -> None:
    class RectificationIssue:
        class ProgressReported:
            pass

    class EscalationPolicy:
        class Set:
            pass

    assert changes.kind_of(RectificationIssue.ProgressReported()) == "issue"
    assert changes.kind_of(EscalationPolicy.Set()) == "escalation_policy"
    claimed = Referral.Claimed.__new__(Referral.Claimed)
    assert changes.kind_of(claimed) == "referral"


def test_an_event_names_the_agencies_of_its_agency_fields() -> None:
    event = SimpleNamespace(
        originator_id=uuid4(),
        sender_agency_id=MARKET,
        receiver_agency_id=HEALTH,
        co_agency_ids=[HEALTH, "not-an-id"],
        procuratorate_id=MARKET,
        subject_id=uuid4(),  # not an agency
        actor="联络员",
    )
    assert agencies_named(vars(event)) == {HEALTH, MARKET}


def test_an_event_of_a_step_names_no_agency_when_it_has_none() -> None:
    assert agencies_named(vars(SimpleNamespace(originator_id=uuid4(), note=""))) == set()


def test_the_payload_lists_kinds_and_agencies_sorted() -> None:
    body = json.loads(changes.notice(42, ["referral", "issue", "issue"], [MARKET, HEALTH]))
    assert body == {
        "position": 42,
        "kinds": ["issue", "referral"],
        "agencies": sorted([str(HEALTH), str(MARKET)]),
    }
    assert parse(json.dumps(body)) == Notice(42, ("issue", "referral"), tuple(body["agencies"]))


def test_a_payload_too_long_for_notify_concerns_everyone() -> None:
    many = [uuid4() for _ in range(400)]
    text = changes.notice(7, ["issue"], many)
    assert len(text.encode()) < 8000
    assert json.loads(text)["agencies"] is None


def test_channel_names_fit_postgres_and_differ_per_schema() -> None:
    assert len(changes.channel("x" * 200)) < 64
    assert changes.channel("a") != changes.channel("b")


@pytest.mark.parametrize(
    ("role", "agency", "agencies", "heard"),
    [
        (Role.LIAISON, str(HEALTH), (str(HEALTH),), True),
        (Role.LIAISON, str(MARKET), (str(HEALTH),), False),
        (Role.LIAISON, None, (str(HEALTH),), False),
        (Role.LIAISON, str(MARKET), None, True),  # concerns everyone
        (Role.INVESTIGATOR, str(MARKET), (str(HEALTH),), False),
        (Role.AGENCY_HEAD, str(HEALTH), (str(HEALTH),), True),
        (Role.COORDINATOR, None, (str(HEALTH),), True),
        (Role.LEADERSHIP, None, (str(HEALTH),), True),
        (Role.AUDITOR, None, (str(HEALTH),), True),
        (Role.ADMIN, None, (str(HEALTH),), True),
    ],
)
def test_who_hears_of_a_notice(
    role: Role, agency: str | None, agencies: tuple[str, ...] | None, heard: bool
) -> None:
    assert concerns(Notice(1, ("issue",), agencies), User("u", role, agency)) is heard


def test_an_agency_id_is_compared_as_an_id_not_as_the_tokens_text() -> None:
    shouted = User("u", Role.LIAISON, str(HEALTH).upper())
    assert concerns(Notice(1, ("issue",), (str(HEALTH),)), shouted)


def test_connection_init_carries_the_token_in_either_shape() -> None:
    assert bearer_of({"Authorization": "Bearer abc"}) == "abc"
    assert bearer_of({"authorization": "bearer  abc "}) == "abc"
    assert bearer_of({"token": "abc"}) == "abc"
    for payload in ({}, {"Authorization": "Basic abc"}, {"token": ""}, {"token": 5}):
        with pytest.raises(InvalidToken):
            bearer_of(payload)


def test_a_verified_user_knows_when_its_token_expires() -> None:
    from api.auth import issue_token, verify_token

    user = verify_token("s" * 32, issue_token("s" * 32, "liaison", None, None, "u", 1))
    assert user.expires_at is not None
    assert timedelta(minutes=59) < user.expires_at - datetime.now(UTC) <= timedelta(hours=1)
