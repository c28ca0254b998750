"""The lifecycle of a web account (domain/accounts.py): each transition with the events it
records, and each refusal naming its field or state; the password policy and hashing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from api.auth import Role
from api.passwords import hash_password, verify_password
from domain.accounts import (
    MAX_FAILURES,
    ROLES,
    Account,
    AccountRefused,
    AccountStatus,
    account_id,
    check_password,
    check_username,
)
from domain.errors import InvalidInput

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HEALTH = uuid4()


def _account() -> Account:
    account = Account.add("Zhang.San", "张三", "admin")
    account.set_password("$argon2id$hash", "admin")
    account.grant("liaison", HEALTH, "县卫健局", None, "admin")
    account.collect_events()
    return account


def _types(account: Account) -> list[str]:
    return [type(e).__name__ for e in account.collect_events()]


def test_the_domain_knows_exactly_the_roles_of_the_api() -> None:
    assert set(ROLES) == {role.value for role in Role}


def test_adding_an_account_records_it_under_its_normalised_name() -> None:
    account = Account.add("  Ｚhang.San ", "", "admin")
    (created,) = account.collect_events()
    assert isinstance(created, Account.Created)
    assert created.username == "zhang.san"
    assert created.display_name == "zhang.san"  # none given: the user name
    assert account.id == account_id("ZHANG.SAN")
    assert account.status is AccountStatus.ACTIVE
    assert account.role is None and account.password_hash is None


@pytest.mark.parametrize("name", ["a", "x" * 65, "zhang san", "zhang/san", "张三;"])
def test_a_user_name_outside_the_rule_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_username(name)
    assert refused.value.field == "username"
    assert " / " in refused.value.message


def test_a_user_name_in_chinese_is_accepted() -> None:
    assert check_username("张三") == "张三"


def test_granting_a_role_records_role_agency_and_region() -> None:
    account = Account.add("li.si", "李四", "admin")
    account.collect_events()
    account.grant("leadership", None, None, "某某县", "admin")
    (granted,) = account.collect_events()
    assert isinstance(granted, Account.RoleGranted)
    assert (granted.role, granted.agency_id, granted.region, granted.actor) == (
        "leadership",
        None,
        "某某县",
        "admin",
    )
    assert account.role == "leadership" and account.region == "某某县"


def test_a_grant_replaces_the_role_held() -> None:
    account = _account()
    account.grant("auditor", None, None, None, "admin")
    assert _types(account) == ["RoleGranted"]
    assert (account.role, account.agency_id, account.agency_name) == ("auditor", None, None)


def test_the_same_grant_again_records_nothing() -> None:
    account = _account()
    account.grant("liaison", HEALTH, "县卫健局", None, "admin")
    assert _types(account) == []


@pytest.mark.parametrize(
    ("role", "agency", "region", "field"),
    [
        ("superuser", None, None, "role"),
        ("liaison", None, None, "agency"),
        ("investigator", None, None, "agency"),
        ("agency_head", None, None, "agency"),
        ("auditor", None, "某某县", "region"),
    ],
)
def test_a_grant_outside_the_rules_is_refused_naming_the_field(
    role: str, agency: object, region: str | None, field: str
) -> None:
    account = _account()
    with pytest.raises(InvalidInput) as refused:
        account.grant(role, None, None, region, "admin")
    assert refused.value.field == field
    assert _types(account) == []


def test_revoking_clears_the_grant() -> None:
    account = _account()
    account.revoke("admin")
    (revoked,) = account.collect_events()
    assert isinstance(revoked, Account.RoleRevoked)
    assert revoked.role == "liaison"
    assert account.role is None and account.agency_id is None and not account.may_sign_in


def test_revoking_without_a_role_is_refused() -> None:
    account = Account.add("li.si", "李四", "admin")
    with pytest.raises(InvalidInput) as refused:
        account.revoke("admin")
    assert refused.value.field == "role"


def test_setting_a_password_records_only_its_hash() -> None:
    account = _account()
    account.set_password("$argon2id$new", "admin")
    (changed,) = account.collect_events()
    assert isinstance(changed, Account.PasswordSet)
    assert changed.password_hash == "$argon2id$new"
    assert account.password_hash == "$argon2id$new"


def test_a_failed_sign_in_is_counted() -> None:
    account = _account()
    account.record_failed_sign_in(AT, "sign-in")
    (failed,) = account.collect_events()
    assert isinstance(failed, Account.SignInFailed)
    assert failed.failures == 1 and failed.at == AT
    assert account.status is AccountStatus.ACTIVE


def test_the_fifth_failure_in_a_row_locks_the_account() -> None:
    account = _account()
    for _ in range(MAX_FAILURES - 1):
        account.record_failed_sign_in(AT, "sign-in")
    account.collect_events()
    account.record_failed_sign_in(AT, "sign-in")
    assert _types(account) == ["SignInFailed", "Locked"]
    assert account.status is AccountStatus.LOCKED and not account.may_sign_in


def test_a_locked_account_counts_no_more_failures() -> None:
    account = _account()
    account.lock("admin")
    account.collect_events()
    account.record_failed_sign_in(AT, "sign-in")
    assert _types(account) == []


def test_a_sign_in_after_failures_clears_them() -> None:
    account = _account()
    account.record_failed_sign_in(AT, "sign-in")
    account.collect_events()
    account.record_sign_in(AT, "sign-in")
    assert _types(account) == ["FailuresCleared"]
    assert account.failures == 0


def test_a_sign_in_without_failures_records_nothing() -> None:
    account = _account()
    account.record_sign_in(AT, "sign-in")
    assert _types(account) == []


def test_an_admin_locks_and_unlocks_an_account() -> None:
    account = _account()
    account.lock("admin")
    (locked,) = account.collect_events()
    assert isinstance(locked, Account.Locked) and locked.reason == "admin"
    account.unlock("admin")
    assert _types(account) == ["Unlocked"]
    assert account.status is AccountStatus.ACTIVE and account.failures == 0


def test_unlocking_an_active_account_with_failures_clears_them() -> None:
    account = _account()
    account.record_failed_sign_in(AT, "sign-in")
    account.collect_events()
    account.unlock("admin")
    assert _types(account) == ["Unlocked"]
    assert account.failures == 0


def test_locking_a_locked_account_or_unlocking_an_active_one_records_nothing() -> None:
    account = _account()
    account.unlock("admin")
    account.lock("admin")
    account.collect_events()
    account.lock("admin")
    assert _types(account) == []


def test_disabling_is_for_good() -> None:
    account = _account()
    account.disable("admin")
    assert _types(account) == ["Disabled"]
    account.disable("admin")
    assert _types(account) == []
    assert account.status is AccountStatus.DISABLED and not account.may_sign_in


@pytest.mark.parametrize(
    "command",
    [
        lambda a: a.grant("auditor", None, None, None, "admin"),
        lambda a: a.revoke("admin"),
        lambda a: a.set_password("$argon2id$x", "admin"),
        lambda a: a.lock("admin"),
        lambda a: a.unlock("admin"),
    ],
)
def test_a_disabled_account_refuses_every_change_naming_its_state(command: object) -> None:
    account = _account()
    account.disable("admin")
    account.collect_events()
    with pytest.raises(AccountRefused) as refused:
        command(account)  # type: ignore[operator]
    assert refused.value.current_state == "DISABLED"
    assert "已停用" in str(refused.value) and "DISABLED" in str(refused.value)
    assert _types(account) == []


@pytest.mark.parametrize("password", ["short", " padded password", "pass\tword!", "x" * 257])
def test_a_password_outside_the_policy_is_refused_without_quoting_it(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password(password)
    assert refused.value.field == "password"
    assert password not in refused.value.message
    assert " / " in refused.value.message


def test_a_password_hash_is_argon2id_and_verifies_only_its_password() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "correct horsE")
    assert not verify_password(None, "correct horse")
    assert not verify_password("not a hash", "correct horse")


def test_hashing_refuses_a_short_password() -> None:
    with pytest.raises(InvalidInput):
        hash_password("1234567")
