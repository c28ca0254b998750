"""The API's own refusals (who may do what) are Chinese then English too, and name a role
in Chinese in the Chinese half: "仅办理单位的执法人员、单位负责人可以查看举报人身份", not
"only a investigator、agency_head … may 查看举报人身份"."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from uuid import uuid4

import pytest

from api.auth import Role, User
from api.authz import case_transfers, clues, issues, referrals
from api.authz.core import NotAllowedError
from domain.messages import halves
from tests.unit.test_refusal_messages import assert_bilingual

AGENCY, OTHER = uuid4(), uuid4()
ENGLISH_WORD = re.compile(r"[a-z]{3,}")


def _refusals() -> Iterator[tuple[str, Callable[[User], object]]]:
    for clue_action in clues.ClueAction:
        yield clue_action.value, lambda u, a=clue_action: clues.authorize(u, a, OTHER, OTHER)
    for issue_action in issues.Action:
        yield issue_action.value, lambda u, a=issue_action: issues.authorize(u, a, OTHER, [OTHER])
    for referral_action in referrals.ReferralAction:
        yield (
            referral_action.value,
            lambda u, a=referral_action: referrals.authorize(u, a, OTHER, OTHER, "县医保局", OTHER),
        )
    for step in case_transfers.Step:
        yield step.value, lambda u, s=step: case_transfers.authorize_step(u, s, OTHER, "县公安局")


@pytest.mark.parametrize("role", list(Role))
def test_every_refusal_of_the_rules_is_bilingual_and_names_roles_in_chinese(role: Role) -> None:
    refused = 0
    for agency in (None, str(AGENCY)):
        user = User("someone", role, agency_id=agency)
        for action, attempt in _refusals():
            if action.startswith("read"):
                continue  # reads are filtered by agency, never refused
            try:
                attempt(user)
            except NotAllowedError as refusal:
                refused += 1
                assert_bilingual(refusal.message)
                chinese, _ = halves(refusal.message)
                assert not ENGLISH_WORD.search(chinese), refusal.message
    assert refused


def test_the_reveal_refusal_names_who_may_in_each_language() -> None:
    with pytest.raises(NotAllowedError) as refused:
        clues.authorize(User("someone", Role.LIAISON, str(AGENCY)), clues.ClueAction.REVEAL)
    assert refused.value.message == (
        "仅办理单位的执法人员、单位负责人可以查看举报人身份 / "
        "only the handling agency's investigator or agency_head may reveal the reporter"
    )
