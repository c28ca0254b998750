"""The in-app inbox: `notifications` for the caller's agency (and office role), newest
first with keyset pagination, and read marks per user.

Who sees what is decided in one place, the query's visibility rule
(projections.notification_queries); resolvers only say who the caller is.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from api import cursors
from api.context import Context
from api.results import InvalidInputResult, NotFoundResult
from api.types import PageInfo
from domain.errors import InvalidInput, NotFound
from projections import notification_queries as inbox
from projections.keyset import Key, Keyset

Info = strawberry.Info[Context, None]
MAX_PAGE = 100
CURSOR_KIND = "notification"
INBOX = Keyset((Key("n.position", "bigint"),), descending=True)  # newest first


def _viewer(info: Info) -> inbox.Viewer:
    user = info.context.user
    try:
        agency = UUID(user.agency_id) if user.agency_id else None
    except ValueError:
        agency = None
    return inbox.Viewer(user.subject, agency, user.role.value)


@strawberry.type
class NotificationDelivery:
    channel: str = strawberry.field(description="WEBHOOK or EMAIL")
    address: str
    status: str = strawberry.field(description="PENDING, DELIVERED or FAILED")
    attempts: int
    last_error: str | None


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: str = strawberry.field(
        description="reminder, overdue, escalation, statutory_breach, or returned (a returned "
        "referral for the leading group office to reassign)"
    )
    rung: str = strawberry.field(description="the rung of the policy, e.g. listed-supervision")
    title: str
    body: str
    item_kind: str
    item_id: strawberry.ID
    agency_id: strawberry.ID | None = strawberry.field(
        description="the agency told; null for the office of a campaign without a lead agency"
    )
    for_office: bool = strawberry.field(description="领导小组办公室 / addressed to the office")
    at: datetime = strawberry.field(description="when the milestone rang")
    read_at: datetime | None = strawberry.field(description="when the caller read it")
    deliveries: list[NotificationDelivery]

    @classmethod
    def of(cls, r: inbox.InboxRow) -> Notification:
        return cls(
            id=strawberry.ID(str(r.id)),
            kind=r.kind,
            rung=r.rung,
            title=r.title,
            body=r.body,
            item_kind=r.item_kind,
            item_id=strawberry.ID(str(r.item_id)),
            agency_id=strawberry.ID(str(r.agency_id)) if r.agency_id else None,
            for_office=r.audience != "",
            at=r.at,
            read_at=r.read_at,
            deliveries=[NotificationDelivery(**asdict(d)) for d in r.deliveries],
        )


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    unread_count: int = strawberry.field(description="unread notices of the caller, all pages")
    edges: list[NotificationEdge]
    page_info: PageInfo


@strawberry.type
class NotificationMarkedRead:
    id: strawberry.ID
    unread_count: int


@strawberry.type
class NotificationsMarkedRead:
    marked: int = strawberry.field(description="how many were unread until now")
    unread_count: int


MarkReadResult = Annotated[
    NotificationMarkedRead | NotFoundResult | InvalidInputResult,
    strawberry.union("MarkReadResult"),
]


async def _unread(info: Info) -> int:
    page = await inbox.inbox_page(info.context.pool, _viewer(info), True, 1, None)
    return page.unread


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="通知 / the caller's inbox, newest first")
    async def notifications(
        self,
        info: Info,
        unread_only: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> NotificationConnection:
        cursors.page_size(first, MAX_PAGE)
        before = cursors.decode(after, CURSOR_KIND, "NEWEST", INBOX)[0] if after else None
        page = await inbox.inbox_page(info.context.pool, _viewer(info), unread_only, first, before)
        edges = [
            NotificationEdge(
                cursor=cursors.encode_values(CURSOR_KIND, "NEWEST", [str(r.position)]),
                node=Notification.of(r),
            )
            for r in page.rows
        ]
        return NotificationConnection(
            unread_count=page.unread,
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
        )


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="标为已读 / mark one notification read (for the caller)")
    async def mark_notification_read(self, info: Info, id: strawberry.ID) -> MarkReadResult:
        try:
            notification = UUID(str(id).strip())
        except ValueError:
            raise InvalidInput("id", f"'{id}' 不是有效的编号 / '{id}' is not an id") from None
        if not await inbox.mark_read(info.context.pool, _viewer(info), notification):
            # Someone else's notice is reported exactly like a missing one.
            raise NotFound("notification", str(notification))
        return NotificationMarkedRead(id=id, unread_count=await _unread(info))

    @strawberry.mutation(description="全部标为已读 / mark all the caller's notifications read")
    async def mark_all_notifications_read(self, info: Info) -> NotificationsMarkedRead:
        marked = await inbox.mark_all_read(info.context.pool, _viewer(info))
        return NotificationsMarkedRead(marked=marked, unread_count=await _unread(info))
