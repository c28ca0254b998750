"""The read model of user accounts (domain/accounts.py) for the admin page and `rectify
user list`: one row per account, its status and grant. Never the password hash.

Statements only; the runner owns the transaction.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.accounts import Account, AccountStatus

# Events that change one column set; everything else of Account changes only `changed_at`.
_STATUS = {
    Account.Locked: AccountStatus.LOCKED,
    Account.Unlocked: AccountStatus.ACTIVE,
    Account.Disabled: AccountStatus.DISABLED,
}


class AccountProjection:
    NAME = "accounts"
    TABLES = ("accounts",)

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor

    def _set(self, item: Any, at: Any, assignments: str, values: tuple[Any, ...]) -> None:
        self.cur.execute(
            f"UPDATE accounts SET {assignments}, changed_at = %s WHERE id = %s",
            (*values, at, item),
        )

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        item, at = event.originator_id, event.timestamp
        if isinstance(event, Account.Created):
            self.cur.execute(
                "INSERT INTO accounts (id, username, display_name, status, created_at,"
                " changed_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                (item, event.username, event.display_name, AccountStatus.ACTIVE.value, at, at),
            )
        elif isinstance(event, Account.RoleGranted):
            self._set(
                item,
                at,
                "role = %s, agency_id = %s, agency_name = %s, region = %s",
                (event.role, event.agency_id, event.agency_name, event.region),
            )
        elif isinstance(event, Account.RoleRevoked):
            self._set(
                item, at, "role = NULL, agency_id = NULL, agency_name = NULL, region = NULL", ()
            )
        elif isinstance(event, Account.SignInFailed):
            self._set(item, at, "failures = %s", (event.failures,))
        elif isinstance(event, Account.FailuresCleared):
            self._set(item, at, "failures = 0", ())
        elif type(event) in _STATUS:
            status = _STATUS[type(event)]
            failures = ", failures = 0" if status is AccountStatus.ACTIVE else ""
            self._set(item, at, "status = %s" + failures, (status.value,))
