"""Two liaisons claim one referral at the same moment, on PostgreSQL: exactly one wins.

A barrier holds each claim after it has loaded the referral, so both decide on the same
version: the second save then fails on the event store's version check (IntegrityError),
the loser reloads, meets the winner's claim and is refused with its name.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from uuid import UUID

import pytest

from domain.application import CommandResult, RectifyApp
from domain.referrals import AlreadyClaimed, Referral, ReferralStatus
from infrastructure.stored_calendar import StoredCalendar


class RacingApp(RectifyApp):
    """An armed thread waits at a barrier after its first load, so the two claims overlap."""

    barrier = threading.Barrier(2, timeout=10)
    local = threading.local()

    def get_referral(self, item_id: UUID) -> Referral:
        referral = super().get_referral(item_id)
        if getattr(self.local, "armed", False):
            self.local.armed = False
            self.barrier.wait()
        return referral


@pytest.fixture
def racing(es_env: dict[str, str]) -> Iterator[RacingApp]:
    app = RacingApp(env=es_env)
    app.calendar_source = StoredCalendar
    yield app
    app.close()


def _agencies(app: RectifyApp) -> tuple[UUID, UUID]:
    market = app.register_agency("县市场监管局", actor="admin").id
    health = app.register_agency("县卫健局", actor="admin").id
    return market, health


def _claim_at_once(app: RacingApp, item: UUID, agency: UUID) -> list[object]:
    outcomes: list[object] = [None, None]
    RacingApp.barrier.reset()

    def claim(n: int) -> None:
        RacingApp.local.armed = True
        try:
            outcomes[n] = app.claim_referral(item, agency, f"卫健局联络员{n}")
        except AlreadyClaimed as refused:
            outcomes[n] = refused

    threads = [threading.Thread(target=claim, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_concurrent_claims_give_one_winner_and_the_loser_learns_who(
    racing: RacingApp,
) -> None:
    market, health = _agencies(racing)
    item = racing.send_referral(market, health, "医疗美容", actor="张三").id

    outcomes = _claim_at_once(racing, item, health)

    won = [o for o in outcomes if isinstance(o, CommandResult)]
    lost = [o for o in outcomes if isinstance(o, AlreadyClaimed)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    referral = racing.get_referral(item)
    assert referral.status is ReferralStatus.CLAIMED
    assert lost[0].claimed_by == referral.claimed_by
    assert str(lost[0]).startswith("已被县卫健局签收 / already claimed by 县卫健局")
    claims = [e for e in racing.events.get(item) if isinstance(e, Referral.Claimed)]
    assert len(claims) == 1


def test_concurrent_claims_of_two_children_of_a_group_both_succeed(racing: RacingApp) -> None:
    """Different children conflict only on the parent's roll-up: the loser retries."""
    market, health = _agencies(racing)
    insurance = racing.register_agency("县医保局", actor="admin").id
    group = racing.register_agency("综合监管各成员单位", actor="admin").id
    racing.add_group_member(group, health, "admin")
    racing.add_group_member(group, insurance, "admin")
    parent = racing.send_referral(market, group, "联合检查", actor="张三").id
    children = racing.get_referral(parent).children
    outcomes: list[object] = [None, None]
    RacingApp.barrier.reset()

    def claim(n: int, child: UUID) -> None:
        RacingApp.local.armed = True
        outcomes[n] = racing.claim_referral(child, children[child], f"联络员{n}")

    threads = [threading.Thread(target=claim, args=(n, child)) for n, child in enumerate(children)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert all(isinstance(o, CommandResult) for o in outcomes), outcomes
    updates = [e for e in racing.events.get(parent) if isinstance(e, Referral.ChildUpdated)]
    assert sorted(e.child_id for e in updates) == sorted(children)
