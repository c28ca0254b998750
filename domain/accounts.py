"""User accounts (用户账号) of the web workbench: who may sign in, with which role.

    (none) ──add──► ACTIVE ──5 failed sign-ins in a row, or lock──► LOCKED
                     ▲  │                                           │
                     │  └────────────────────disable───────────┐    │
                     └─────────────unlock──────────────────────┼────┘
                                                               ▼
                                  LOCKED ──disable──────────► DISABLED (for good)

An account holds at most one role (the roles of api.auth.Role), granted with the agency
it speaks for and, for leadership, the region it decides for; a grant replaces the one
before, a revoke leaves none. Staff roles (liaison, investigator, agency head) need an
agency. Every grant, revoke, password change, lock and unlock is an event of the
account's own stream, so the audit trail and the hash chain cover them.

The password is never here: only its hash (argon2, computed by the caller: the domain
imports no hashing library), classified secret in domain/personal_data.py so that no
audit trail, past state or export shows it. Sign-in failures are counted here (a lock is
a fact of the account); successful sign-ins and their addresses go to the sign-in log
table, not to the event log (ADR 0042).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput, InvalidTransition
from domain.messages import says
from domain.names import NAMESPACE

MAX_FAILURES = 5  # consecutive failed sign-ins that lock the account
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256  # argon2 takes any length; a bound keeps one request cheap
USERNAME_PUNCTUATION = "._-@"
MAX_USERNAME_LENGTH = 64

# The values of api.auth.Role (the domain imports nothing of the API; a test keeps the two
# the same).
ROLES = (
    "liaison",
    "investigator",
    "agency_head",
    "coordinator",
    "leadership",
    "auditor",
    "admin",
)
AGENCY_ROLES = frozenset({"liaison", "investigator", "agency_head"})
REGION_ROLES = frozenset({"leadership"})


class AccountStatus(StrEnum):
    ACTIVE = "ACTIVE"  # 正常
    LOCKED = "LOCKED"  # 已锁定
    DISABLED = "DISABLED"  # 已停用


STATUS_LABELS = {
    AccountStatus.ACTIVE: "正常",
    AccountStatus.LOCKED: "已锁定",
    AccountStatus.DISABLED: "已停用",
}

ACTION_LABELS = {
    "grant a role": "授予角色",
    "revoke the role": "撤销角色",
    "set the password": "设置密码",
    "lock": "锁定",
    "unlock": "解锁",
    "disable": "停用",
}


class AccountRefused(InvalidTransition):
    """An account command its current state does not allow; names the state."""

    def __init__(self, action: str, current_state: AccountStatus, detail: str = "") -> None:
        super().__init__(
            action,
            current_state.value,
            detail,
            kind="account",
            state_label=STATUS_LABELS[current_state],
            action_label=ACTION_LABELS.get(action, action),
        )


def normalise_username(username: str) -> str:
    """The form an account is known by: NFKC (full-width letters become ASCII), trimmed,
    case-folded, so `Zhang.San` and `ｚｈａｎｇ.ｓａｎ` are one account."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def check_username(username: str) -> str:
    """The normalised user name, or InvalidInput naming `username`."""
    name = normalise_username(username)
    if not 2 <= len(name) <= MAX_USERNAME_LENGTH:
        raise InvalidInput("username", says("username_length", most=MAX_USERNAME_LENGTH))
    if not all(c.isalnum() or c in USERNAME_PUNCTUATION for c in name):
        raise InvalidInput("username", says("username_characters", allowed=USERNAME_PUNCTUATION))
    return name


def check_password(password: str) -> None:
    """The password policy, checked before hashing; the refusal never quotes the value."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", says("password_too_short", least=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password", says("password_too_long", most=MAX_PASSWORD_LENGTH))
    if password != password.strip() or not password.isprintable():
        raise InvalidInput("password", says("password_blank_or_control"))


def account_id(username: str) -> UUID:
    return uuid5(NAMESPACE, "account:" + normalise_username(username))


def check_grant(role: str, agency_id: UUID | None, region: str | None) -> None:
    """A role the system knows, with the agency and region it needs and no other."""
    if role not in ROLES:
        raise InvalidInput("role", says("unknown_role", role=role, roles=", ".join(ROLES)))
    if role in AGENCY_ROLES and agency_id is None:
        raise InvalidInput("agency", says("role_needs_agency", role=role))
    if region is not None and role not in REGION_ROLES:
        raise InvalidInput("region", says("region_only_leadership"))


class Account(Aggregate):
    TOPIC = "rectify:Account"

    class Event(Aggregate.Event):
        TOPIC = "rectify:Account.Event"

    class Created(Aggregate.Created):
        TOPIC = "rectify:Account.Created"
        username: str
        display_name: str
        actor: str

    class RoleGranted(Aggregate.Event):
        TOPIC = "rectify:Account.RoleGranted"
        role: str
        agency_id: UUID | None
        agency_name: str | None
        region: str | None
        actor: str

    class RoleRevoked(Aggregate.Event):
        TOPIC = "rectify:Account.RoleRevoked"
        role: str
        actor: str

    class PasswordSet(Aggregate.Event):
        TOPIC = "rectify:Account.PasswordSet"
        password_hash: str
        actor: str

    class SignInFailed(Aggregate.Event):
        TOPIC = "rectify:Account.SignInFailed"
        at: datetime
        failures: int  # consecutive failures, this one included
        actor: str

    class FailuresCleared(Aggregate.Event):
        """A sign-in succeeded after failures: the count starts again (recorded only when
        there were failures, so an ordinary sign-in writes no event)."""

        TOPIC = "rectify:Account.FailuresCleared"
        at: datetime
        actor: str

    class Locked(Aggregate.Event):
        TOPIC = "rectify:Account.Locked"
        reason: str  # "failures" or "admin"
        actor: str

    class Unlocked(Aggregate.Event):
        TOPIC = "rectify:Account.Unlocked"
        actor: str

    class Disabled(Aggregate.Event):
        TOPIC = "rectify:Account.Disabled"
        actor: str

    @staticmethod
    def create_id(username: str, *_: object, **__: object) -> UUID:
        return account_id(username)

    @event(Created)
    def __init__(self, username: str, display_name: str, actor: str) -> None:
        self.username = username
        self.display_name = display_name
        self.status = AccountStatus.ACTIVE
        self.role: str | None = None
        self.agency_id: UUID | None = None
        self.agency_name: str | None = None
        self.region: str | None = None
        self.password_hash: str | None = None
        self.failures = 0

    @classmethod
    def add(cls, username: str, display_name: str, actor: str) -> Account:
        name = check_username(username)
        return cls(name, display_name.strip() or name, actor)

    # -- grants --------------------------------------------------------------------------

    def grant(
        self,
        role: str,
        agency_id: UUID | None,
        agency_name: str | None,
        region: str | None,
        actor: str,
    ) -> None:
        self._refuse_if_disabled("grant a role")
        check_grant(role, agency_id, region)
        if (role, agency_id, region) == (self.role, self.agency_id, self.region):
            return  # granted already: nothing to record
        self._grant(role, agency_id, agency_name, region, actor)

    @event(RoleGranted)
    def _grant(
        self,
        role: str,
        agency_id: UUID | None,
        agency_name: str | None,
        region: str | None,
        actor: str,
    ) -> None:
        self.role, self.agency_id, self.agency_name, self.region = (
            role,
            agency_id,
            agency_name,
            region,
        )

    def revoke(self, actor: str) -> None:
        self._refuse_if_disabled("revoke the role")
        if self.role is None:
            raise InvalidInput("role", says("no_role_held"))
        self._revoke(self.role, actor)

    @event(RoleRevoked)
    def _revoke(self, role: str, actor: str) -> None:
        self.role = self.agency_id = self.agency_name = self.region = None

    # -- passwords and sign-in ------------------------------------------------------------

    def set_password(self, password_hash: str, actor: str) -> None:
        """`password_hash` as the caller's hasher wrote it (the password never gets here)."""
        self._refuse_if_disabled("set the password")
        if not password_hash:
            raise InvalidInput("password", says("empty"))
        self._set_password(password_hash, actor)

    @event(PasswordSet)
    def _set_password(self, password_hash: str, actor: str) -> None:
        self.password_hash = password_hash

    def record_failed_sign_in(self, at: datetime, actor: str) -> None:
        """A wrong password: counted while ACTIVE; the MAX_FAILURES-th in a row locks the
        account. A locked or disabled account counts nothing more (its state says enough)."""
        if self.status is not AccountStatus.ACTIVE:
            return
        self._fail(at, self.failures + 1, actor)
        if self.failures >= MAX_FAILURES:
            self._lock("failures", actor)

    @event(SignInFailed)
    def _fail(self, at: datetime, failures: int, actor: str) -> None:
        self.failures = failures

    def record_sign_in(self, at: datetime, actor: str) -> None:
        if self.failures:
            self._clear(at, actor)

    @event(FailuresCleared)
    def _clear(self, at: datetime, actor: str) -> None:
        self.failures = 0

    @property
    def may_sign_in(self) -> bool:
        return self.status is AccountStatus.ACTIVE and self.role is not None

    # -- locks ---------------------------------------------------------------------------

    def lock(self, actor: str) -> None:
        self._refuse_if_disabled("lock")
        if self.status is AccountStatus.LOCKED:
            return
        self._lock("admin", actor)

    @event(Locked)
    def _lock(self, reason: str, actor: str) -> None:
        self.status = AccountStatus.LOCKED

    def unlock(self, actor: str) -> None:
        self._refuse_if_disabled("unlock")
        if self.status is AccountStatus.ACTIVE and not self.failures:
            return
        self._unlock(actor)

    @event(Unlocked)
    def _unlock(self, actor: str) -> None:
        self.status = AccountStatus.ACTIVE
        self.failures = 0

    def disable(self, actor: str) -> None:
        if self.status is AccountStatus.DISABLED:
            return
        self._disable(actor)

    @event(Disabled)
    def _disable(self, actor: str) -> None:
        self.status = AccountStatus.DISABLED

    def _refuse_if_disabled(self, action: str) -> None:
        if self.status is AccountStatus.DISABLED:
            raise AccountRefused(action, self.status)
