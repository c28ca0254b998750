"""Commands of user accounts (domain/accounts.py), mixed into `RectifyApp`.

Passwords arrive hashed: the caller (api/passwords.py) checks the policy and hashes, so the
password itself never reaches the application, an event or a log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.accounts import Account, account_id, check_username, normalise_username
from domain.command_results import CommandResult
from domain.errors import Conflict, InvalidInput, NotFound

A = TypeVar("A", bound=Aggregate)
MAX_ATTEMPTS = 5
PAGE = 500


class _App(Protocol):
    recorder: Any

    def _get(self, cls: type[A], item_id: UUID, kind: str) -> A: ...
    def _exists(self, item_id: UUID) -> bool: ...
    def get_account(self, username: str) -> Account: ...
    def _save(self, *aggregates: Aggregate) -> int | None: ...
    def _changing_account(
        self, username: str, change: Callable[[Account], None]
    ) -> CommandResult: ...


class AccountCommands:
    def find_account(self: _App, username: str) -> Account | None:
        """The account of `username` (as typed: normalised here), or None."""
        item = account_id(username)
        if not self._exists(item):
            return None
        try:
            return self._get(Account, item, "account")
        except NotFound:
            return None

    def accounts(self: _App, limit: int | None = None) -> list[Account]:
        """Every account (or the first `limit`), in the order created, from the log itself
        (for the CLI and the first start; the admin page reads projections/accounts.py)."""
        found: list[Account] = []
        start = 1
        while limit is None or len(found) < limit:
            page = self.recorder.select_notifications(
                start=start, limit=PAGE, topics=[Account.Created.TOPIC]
            )
            found += [self._get(Account, n.originator_id, "account") for n in page]
            if len(page) < PAGE:
                break
            start = page[-1].id + 1
        return found if limit is None else found[:limit]

    def get_account(self: _App, username: str) -> Account:
        """The account of `username`, or NotFound naming the user name."""
        try:
            return self._get(Account, account_id(username), "account")
        except NotFound:
            raise NotFound("account", normalise_username(username)) from None

    def add_account(
        self: _App,
        username: str,
        display_name: str,
        password_hash: str | None,
        actor: str,
        grant: tuple[str, UUID | None, str | None, str | None] | None = None,
    ) -> CommandResult:
        """A new account, with its password and role when given, in one save: both or
        neither. An existing user name is refused, naming `username`."""
        name = check_username(username)
        if self._exists(account_id(name)):
            raise InvalidInput("username", f"用户名 {name} 已存在 / user name {name} is taken")
        account = Account.add(name, display_name, actor)
        if password_hash is not None:
            account.set_password(password_hash, actor)
        if grant is not None:
            role, agency, agency_name, region = grant
            account.grant(role, agency, agency_name, region, actor)
        try:
            return CommandResult(account.id, self._save(account))
        except IntegrityError:
            raise InvalidInput(
                "username", f"用户名 {name} 已存在 / user name {name} is taken"
            ) from None

    def _changing_account(
        self: _App, username: str, change: Callable[[Account], None]
    ) -> CommandResult:
        for _ in range(MAX_ATTEMPTS):
            account = self.get_account(username)
            change(account)
            if not account.pending_events:
                return CommandResult(account.id, None, changed=False)
            try:
                return CommandResult(account.id, self._save(account))
            except IntegrityError:
                continue
        raise Conflict(f"account {username} kept changing; try again")

    def grant_role(
        self: _App,
        username: str,
        role: str,
        agency: UUID | None,
        agency_name: str | None,
        region: str | None,
        actor: str,
    ) -> CommandResult:
        return self._changing_account(
            username, lambda a: a.grant(role, agency, agency_name, region, actor)
        )

    def revoke_role(self: _App, username: str, actor: str) -> CommandResult:
        return self._changing_account(username, lambda a: a.revoke(actor))

    def set_account_password(
        self: _App, username: str, password_hash: str, actor: str
    ) -> CommandResult:
        return self._changing_account(username, lambda a: a.set_password(password_hash, actor))

    def lock_account(self: _App, username: str, actor: str) -> CommandResult:
        return self._changing_account(username, lambda a: a.lock(actor))

    def unlock_account(self: _App, username: str, actor: str) -> CommandResult:
        return self._changing_account(username, lambda a: a.unlock(actor))

    def disable_account(self: _App, username: str, actor: str) -> CommandResult:
        return self._changing_account(username, lambda a: a.disable(actor))

    def record_failed_sign_in(self: _App, username: str, at: datetime) -> CommandResult:
        return self._changing_account(username, lambda a: a.record_failed_sign_in(at, "sign-in"))

    def record_sign_in(self: _App, username: str, at: datetime) -> CommandResult:
        return self._changing_account(username, lambda a: a.record_sign_in(at, "sign-in"))
