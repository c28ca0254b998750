"""The read model of user accounts (domain/accounts.py) for the admin page and `rectify
user list`: one row per account, its status and grant. Never the password hash.

No transaction here; the runner owns it; the batch is folded in memory and
written once (projections/rowset.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.accounts import Account, AccountStatus
from projections.rowset import Table

# Events that change one column set; everything else of Account changes only `changed_at`.
_STATUS = {
    Account.Locked: AccountStatus.LOCKED,
    Account.Unlocked: AccountStatus.ACTIVE,
    Account.Disabled: AccountStatus.DISABLED,
}


class AccountProjection:
    NAME = "accounts"
    TABLES: ClassVar[tuple[str, ...]] = ("accounts",)

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.accounts = Table(cursor, "accounts", ("id",))

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        self.accounts.load(e.originator_id for e, _ in batch if isinstance(e, Account.Event))

    def flush(self) -> None:
        self.accounts.flush()

    def _set(self, item: Any, at: Any, **changes: Any) -> None:
        self.accounts.update(item, changed_at=at, **changes)

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        if not isinstance(event, Account.Event):
            return
        item, at = event.originator_id, event.timestamp
        if isinstance(event, Account.Created):
            self.accounts.insert(
                {
                    "id": item,
                    "username": event.username,
                    "display_name": event.display_name,
                    "status": AccountStatus.ACTIVE.value,
                    "created_at": at,
                    "changed_at": at,
                }
            )
        elif isinstance(event, Account.RoleGranted):
            self._set(
                item,
                at,
                role=event.role,
                agency_id=event.agency_id,
                agency_name=event.agency_name,
                region=event.region,
            )
        elif isinstance(event, Account.RoleRevoked):
            self._set(item, at, role=None, agency_id=None, agency_name=None, region=None)
        elif isinstance(event, Account.SignInFailed):
            self._set(item, at, failures=event.failures)
        elif isinstance(event, Account.FailuresCleared):
            self._set(item, at, failures=0)
        elif type(event) in _STATUS:
            status = _STATUS[type(event)]
            if status is AccountStatus.ACTIVE:
                self._set(item, at, status=status.value, failures=0)
            else:
                self._set(item, at, status=status.value)
