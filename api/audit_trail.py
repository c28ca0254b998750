"""The audit trail of any item and its state as of a past time or version, in GraphQL.

Who may read them (api/authz/history.py, READ_HISTORY): auditors, admins and
coordinators, any item; liaisons, investigators and agency heads, an item that names their
agency (an issue it leads or co-owns, a clue it received or handles, a referral or case
transfer it sends or receives), judged on the item's current state. Leadership reads the
issue views, not the raw history. Secrets (a reporter's sealed identity, a webhook's
signing key) are 受保护 / protected here as everywhere, at any depth (domain.audit_trail).

Every entry says what the hash chain says of its event (`integrity`, with a bilingual
`integrityWarning` unless VERIFIED), and `itemAsOf` the worst of the events its state was
built from: an auditor never reads an event changed in the database as genuine.

An item the caller may not read is answered exactly as an item that does not exist (null):
a refusal for one and null for the other would tell a liaison which ids exist.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool
from strawberry.scalars import JSON

from api import commands
from api.authz.history import REFUSED, may_read, may_read_any
from api.context import Context
from domain.application import RectifyApp
from domain.audit_trail import Integrity, TrailEntry
from domain.clocks import TIMEZONE
from domain.errors import InvalidInput, NotFound

Info = strawberry.Info[Context, None]


EntryIntegrity = strawberry.enum(
    Integrity,
    name="EntryIntegrity",
    description="事件与哈希链是否相符 / what the hash chain says of an event: VERIFIED, "
    "ALTERED (does not match its hash), UNCHAINED (an event before it missing or altered)",
)


@strawberry.type
class FieldChange:
    field: str
    label: str = strawberry.field(description="字段名称 / the field as a person calls it")
    before: JSON | None
    after: JSON | None
    before_shown: JSON | None = strawberry.field(
        description="变更前（单位名称、北京时间）/ before, agencies by name, China time"
    )
    after_shown: JSON | None = strawberry.field(
        description="变更后（单位名称、北京时间）/ after, agencies by name, China time"
    )


@strawberry.type
class AuditEntry:
    version: int
    at: datetime
    actor: str = strawberry.field(description="操作人 / who")
    type: str = strawberry.field(description="事件 / the event's name, e.g. SignedOff")
    topic: str
    changes: list[FieldChange] = strawberry.field(
        description="该事件改变的字段及前后值 / the fields it changed, before and after"
    )
    payload: JSON = strawberry.field(description="事件内容（身份已屏蔽）/ the event's fields")
    integrity: EntryIntegrity | None = strawberry.field(  # type: ignore[valid-type]
        description="与哈希链是否相符（null：存储不保存哈希）/ whether the event matches its "
        "hash chain (null: the store keeps no hashes)"
    )
    integrity_warning: str | None = strawberry.field(
        description="不相符时的警告 / the warning when it does not match"
    )

    @classmethod
    def of(cls, entry: TrailEntry) -> "AuditEntry":
        return cls(
            version=entry.version,
            at=entry.at.astimezone(TIMEZONE),
            actor=entry.actor,
            type=entry.event_type,
            topic=entry.topic,
            changes=[
                FieldChange(
                    field=c.field,
                    label=c.label,
                    before=c.before,
                    after=c.after,
                    before_shown=c.before_shown,
                    after_shown=c.after_shown,
                )
                for c in entry.changes
            ],
            payload=JSON(entry.payload),
            integrity=entry.integrity,
            integrity_warning=entry.integrity_warning,
        )


def _read(info: Info, id: strawberry.ID, read: Any) -> Any:
    """Parse, load, check who may read; None for an unknown or malformed id, and for an
    item the caller may not read (indistinguishable from an unknown one)."""
    user, app = info.context.user, info.context.app
    if not may_read_any(user):
        raise GraphQLError(REFUSED)
    try:
        item = commands.parse_id(id, "id")
    except InvalidInput:
        return None

    def load() -> Any:
        try:
            current = app.state_as_of(item)
        except NotFound:
            return None
        if not may_read(user, current):
            return None  # as if it did not exist: no existence oracle
        return read(app, item)

    return load


def _check_version(app: RectifyApp, item: UUID, version: int | None) -> None:
    """A version the item has not reached is refused, naming `version`: answering null (or
    the latest state) would read as "no such item" (or claim a future)."""
    if version is None or version < 1:
        return  # none asked, or state_as_of refuses it
    last = int(app.state_as_of(item)["version"])
    if version > last:
        raise InvalidInput(
            "version", f"该事项只有 {last} 个版本 / the item has only {last} versions"
        )


@strawberry.type
class AuditTrailQuery:
    @strawberry.field(description="事项的完整审计轨迹 / every event of an item: who, when, what")
    async def audit_trail(self, info: Info, id: strawberry.ID) -> list[AuditEntry] | None:
        def read(app: RectifyApp, item: UUID) -> list[AuditEntry]:
            return [AuditEntry.of(e) for e in app.audit_trail(item)]

        load = _read(info, id, read)
        return None if load is None else await run_in_threadpool(load)

    @strawberry.field(
        description="事项在某时刻或某版本的状态，附 integrity（及不符时的 integrity_warning、"
        "unverified_versions）/ an item's state as of a time or a version, with what the hash "
        "chain says of the events it was built from"
    )
    async def item_as_of(
        self,
        info: Info,
        id: strawberry.ID,
        at: datetime | None = None,
        version: int | None = None,
    ) -> JSON | None:
        def read(app: RectifyApp, item: UUID) -> Any:
            try:
                _check_version(app, item, version)
                return app.state_integrity(item, app.state_as_of(item, at=at, version=version))
            except NotFound:
                return None
            except InvalidInput as error:
                raise GraphQLError(
                    str(error), extensions={"field": error.field, "code": error.code}
                ) from None

        load = _read(info, id, read)
        return None if load is None else await run_in_threadpool(load)
