"""Clues (线索/举报) in GraphQL: intake, triage, the reply to the reporter, the item view
with its history, a paged list, and the reporter's protected identity.

Who may do what: api/authz/clues.py's table, checked against the aggregate, on the worker
thread (triage and conclude by the handling agency's liaisons and investigators, the
reveal by its investigators and head, reads by the agencies that received or handle it).
revealReporter takes a reason, recorded as a ReporterRevealed event before the identity
is returned.
Nobody reads the identity through a query: the read tables do not have it, and the
`reporter` field says only 匿名 / anonymous or 受保护 / protected.
"""

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Annotated
from uuid import UUID

import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool

from api import commands, cursors, freshness, provisional
from api.authz.clues import ClueAction, authorize, may_read, reads_all
from api.authz.core import NotAllowedError, own_agency
from api.context import Context
from api.results import (
    ConflictResult,
    InvalidInputResult,
    InvalidTransitionResult,
    NotAllowedResult,
    NotFoundResult,
)
from api.types import Agency, Counted, HistoryEntry, PageInfo
from domain import clues as domain
from domain import command_keys
from domain.application import CommandResult, RectifyApp
from domain.errors import InvalidInput
from domain.names import campaign_id
from domain.reporter_identity import PROTECTED, ReporterIdentity
from projections import clue_queries
from projections.keyset import known

Info = strawberry.Info[Context, None]
MAX_PAGE = 200
ANONYMOUS = "匿名 / anonymous"


@strawberry.enum
class ClueChannel(Enum):
    HOTLINE_12320 = "HOTLINE_12320"  # 12320热线
    MAILBOX = "MAILBOX"  # 举报信箱
    LETTER = "LETTER"  # 来信
    WECHAT = "WECHAT"  # 微信
    WEB_FORM = "WEB_FORM"  # 网上举报
    IN_PERSON = "IN_PERSON"  # 来访
    OTHER_AGENCY = "OTHER_AGENCY"  # 其他单位转来


@strawberry.enum(description="线索列表排序 / orders of the clue list")
class ClueOrder(Enum):
    RECEIVED = strawberry.enum_value("RECEIVED", description="受理先后 / in the order received")
    REPLY_DUE = strawberry.enum_value(
        "REPLY_DUE",
        description="答复实名举报人时限最近在前 / reply to the reporter due soonest first",
    )
    UPDATED = strawberry.enum_value(
        "UPDATED", description="最近变动在前 / most recently changed first"
    )


@strawberry.enum
class ClueStatus(Enum):
    RECEIVED = "RECEIVED"  # 待分办
    HANDLING = "HANDLING"  # 办理中
    REFERRED = "REFERRED"  # 已移送
    MERGED = "MERGED"  # 已并案
    DISMISSED = "DISMISSED"  # 不予受理
    CONCLUDED = "CONCLUDED"  # 已办结


@strawberry.type
class Reporter:
    anonymous: bool
    real_name: bool = strawberry.field(description="实名举报: a reply is owed")
    display: str = strawberry.field(description="匿名 / anonymous, or 受保护 / protected")


@strawberry.type
class Clue:
    id: strawberry.ID
    status: ClueStatus
    status_label: str
    channel: ClueChannel
    institution: str
    person: str = strawberry.field(description="the person reported on (never the reporter)")
    content: str
    attachments: list[str]
    reporter: Reporter
    receiving_agency: Agency
    handling_agency: Agency
    triage_note: str
    referred_to: strawberry.ID | None
    referral_id: strawberry.ID | None
    merged_into: strawberry.ID | None
    outcome: str
    reply_due: datetime | None
    replied_at: datetime | None
    reply_channel: str
    reveal_count: int
    received_at: datetime

    @strawberry.field(description=provisional.DESCRIPTION)
    async def provisional(self, info: Info) -> bool:
        # The reply clock runs until the reply is recorded.
        return await provisional.is_provisional(
            info, None if self.replied_at is not None else self.reply_due
        )

    @strawberry.field
    async def history(self, info: Info) -> list[HistoryEntry]:
        rows = await clue_queries.clue_history(info.context.pool, UUID(str(self.id)))
        return [
            HistoryEntry(at=r["at"], type=r["type"], actor=r["actor"], summary=r["summary"])
            for r in rows
        ]

    @classmethod
    def of(cls, row: clue_queries.ClueRow) -> "Clue":
        status = domain.ClueStatus(row["status"])

        def optional_id(value: UUID | None) -> strawberry.ID | None:
            return strawberry.ID(str(value)) if value else None

        return cls(
            id=strawberry.ID(str(row["id"])),
            status=ClueStatus(status.value),
            status_label=domain.STATUS_LABELS[status],
            channel=ClueChannel(row["channel"]),
            institution=row["institution"],
            person=row["person"],
            content=row["content"],
            attachments=list(row["attachments"]),
            reporter=Reporter(
                anonymous=row["anonymous"],
                real_name=row["real_name"],
                display=ANONYMOUS if row["anonymous"] else PROTECTED,
            ),
            receiving_agency=Agency(
                id=strawberry.ID(str(row["agency_id"])), name=row["agency_name"] or ""
            ),
            handling_agency=Agency(
                id=strawberry.ID(str(row["handling_agency_id"])),
                name=row["handling_agency_name"] or "",
            ),
            triage_note=row["triage_note"],
            referred_to=optional_id(row["referred_to"]),
            referral_id=optional_id(row["referral_id"]),
            merged_into=optional_id(row["merged_into"]),
            outcome=row["outcome"],
            reply_due=row["reply_due"],
            replied_at=row["replied_at"],
            reply_channel=row["reply_channel"],
            reveal_count=row["reveal_count"],
            received_at=row["received_at"],
        )


@strawberry.type
class ClueEdge:
    cursor: str
    node: Clue


@strawberry.type
class ClueConnection(Counted):
    edges: list[ClueEdge]
    page_info: PageInfo


@strawberry.input
class ClueFilter:
    status: ClueStatus | None = None
    channel: ClueChannel | None = None
    real_name: bool | None = None


@strawberry.type
class ReporterReveal:
    clue_id: strawberry.ID
    agency: Agency
    actor: str
    reason: str
    at: datetime


_EMPTY = ClueConnection(
    total=known(0), edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
)


@strawberry.type
class ClueQuery:
    @strawberry.field(description="一条线索及其经过 / one clue with its history")
    async def clue(self, info: Info, id: strawberry.ID) -> Clue | None:
        try:
            item = commands.parse_id(id, "id")
        except InvalidInput:
            return None
        row = await clue_queries.clue_by_id(info.context.pool, item)
        if row is None or not may_read(info.context.user, row):
            return None
        return Clue.of(row)

    @strawberry.field(description="线索列表 / clues in the order received (agency staff: own)")
    async def clues(
        self,
        info: Info,
        filter: ClueFilter | None = None,
        first: int = 50,
        after: str | None = None,
        order_by: ClueOrder = ClueOrder.RECEIVED,
    ) -> ClueConnection:
        given, user = filter or ClueFilter(), info.context.user
        cursors.page_size(first, MAX_PAGE)
        agency = None
        if not reads_all(user):
            agency = own_agency(user)
            if agency is None:
                return _EMPTY
        order = order_by.name  # each member's name is its value (strawberry.enum_value)
        keyset = clue_queries.CLUE_ORDERS[order]
        page = await clue_queries.clue_page(
            info.context.pool,
            clue_queries.ClueFilter(
                agency,
                given.status.value if given.status else None,
                given.channel.value if given.channel else None,
                given.real_name,
            ),
            first,
            cursors.decode(after, "clue", order, keyset) if after else None,
            order,
        )
        edges = [
            ClueEdge(cursor=cursors.encode("clue", order, keyset, r), node=Clue.of(r))
            for r in page.rows
        ]
        return ClueConnection(
            total=page.total,
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(description="举报人身份查看记录 / who revealed a reporter (auditors)")
    async def clue_reveals(
        self, info: Info, clue_id: strawberry.ID | None = None, first: int = 100
    ) -> list[ReporterReveal]:
        try:
            authorize(info.context.user, ClueAction.LIST_REVEALS)
        except NotAllowedError as refused:
            raise GraphQLError(refused.message) from None
        item = commands.parse_id(clue_id, "clueId") if clue_id else None
        first = cursors.page_size(first, MAX_PAGE)
        rows = await clue_queries.clue_reveals(info.context.pool, item, first)
        return [
            ReporterReveal(
                clue_id=strawberry.ID(str(r["clue_id"])),
                agency=Agency(id=strawberry.ID(str(r["agency_id"])), name=r["agency_name"] or ""),
                actor=r["actor"],
                reason=r["reason"],
                at=r["at"],
            )
            for r in rows
        ]


# -- mutations ---------------------------------------------------------------------------


@strawberry.type
class ClueChanged:
    clue: Clue | None = strawberry.field(
        description="the clue as the read side shows it once it has caught up"
    )
    position: int | None = strawberry.field(
        description="log position of the change; null when nothing had to change"
    )


ClueResult = Annotated[
    ClueChanged
    | NotAllowedResult
    | InvalidTransitionResult
    | InvalidInputResult
    | NotFoundResult
    | ConflictResult,
    strawberry.union("ClueResult"),
]


@strawberry.type
class RevealedReporter:
    """Only ever in the answer to revealReporter, to the handling agency's staff."""

    clue_id: strawberry.ID
    name: str
    phone: str
    id_number: str
    address: str
    position: int | None


RevealResult = Annotated[
    RevealedReporter
    | NotAllowedResult
    | InvalidTransitionResult
    | InvalidInputResult
    | NotFoundResult
    | ConflictResult,
    strawberry.union("RevealResult"),
]


@strawberry.input
class ReporterInput:
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""


@strawberry.input
class ReceiveClueInput:
    channel: ClueChannel
    content: str
    institution: str = ""
    person: str = strawberry.field(default="", description="the person reported on")
    attachments: list[str] = strawberry.field(default_factory=list)
    reporter: ReporterInput | None = strawberry.field(
        default=None, description="null: an anonymous report"
    )
    real_name: bool = strawberry.field(default=False, description="实名举报: a reply is owed")
    campaign: strawberry.ID | None = strawberry.field(default=None, description="id or title")
    key: str | None = strawberry.field(
        default=None, description="a natural key (e.g. the hotline ticket): a retry finds it"
    )


async def _changed(info: Info, result: CommandResult) -> ClueChanged:
    if not freshness.asks_for(info, "clue"):
        return ClueChanged(clue=None, position=result.position)
    if result.position is not None:
        await freshness.caught_up(info.context, result.position, commands.READ_YOUR_WRITES_SECONDS)
    row = await clue_queries.clue_by_id(info.context.pool, result.id)
    return ClueChanged(clue=Clue.of(row) if row else None, position=result.position)


async def _on_clue(
    info: Info,
    clue_id: str,
    action: ClueAction,
    command: Callable[[RectifyApp, domain.Clue], CommandResult],
) -> ClueChanged:
    item = commands.parse_id(clue_id, "clueId")
    user = info.context.user

    def work(app: RectifyApp) -> CommandResult:
        clue = app.get_clue(item)
        authorize(user, action, clue.agency_id, clue.handling_agency_id)
        return command(app, clue)

    return await _changed(info, await commands.run_command(info.context, work))


def _campaign(key: str) -> UUID:
    try:
        return UUID(str(key).strip())
    except ValueError:
        return campaign_id(str(key))


@strawberry.type
class ClueTerms:
    campaign_id: strawberry.ID
    reply_days: int = strawberry.field(description="答复实名举报人的工作日数")
    position: int | None = strawberry.field(description="null when nothing had to change")


ClueTermsResult = Annotated[
    ClueTerms | NotAllowedResult | InvalidInputResult | NotFoundResult | ConflictResult,
    strawberry.union("ClueTermsResult"),
]


@strawberry.type
class ClueMutation:
    @strawberry.mutation(description="登记线索 / receive a clue (for the caller's agency)")
    async def receive_clue(self, info: Info, input: ReceiveClueInput) -> ClueResult:
        user, who = info.context.user, commands.actor(info.context)
        own = authorize(user, ClueAction.RECEIVE)
        assert own is not None  # authorize refuses a user without an agency
        given = input.reporter
        reporter = (
            ReporterIdentity(given.name, given.phone, given.id_number, given.address)
            if given is not None
            else None
        )

        def receive(app: RectifyApp) -> CommandResult:
            return app.receive_clue(
                own, input.channel.value, input.content, actor=who,
                institution=input.institution, person=input.person,
                attachments=input.attachments, reporter=reporter, real_name=input.real_name,
                campaign=_campaign(input.campaign) if input.campaign else None, key=input.key,
            )  # fmt: skip

        return await _changed(info, await commands.run_command(info.context, receive))

    @strawberry.mutation(description="本单位办理 / handle in our agency")
    async def handle_clue(self, info: Info, clue_id: strawberry.ID, note: str = "") -> ClueResult:
        who = commands.actor(info.context)
        return await _on_clue(
            info, clue_id, ClueAction.HANDLE, lambda app, c: app.handle_clue(c.id, note, who)
        )

    @strawberry.mutation(description="移送 / refer to another agency (creates a referral)")
    async def refer_clue(
        self, info: Info, clue_id: strawberry.ID, receiver: strawberry.ID, reason: str
    ) -> ClueResult:
        who = commands.actor(info.context)

        def refer(app: RectifyApp, clue: domain.Clue) -> CommandResult:
            target = commands.find_agency(app, receiver, "receiver")
            return app.refer_clue(clue.id, target, reason, who)

        return await _on_clue(info, clue_id, ClueAction.REFER, refer)

    @strawberry.mutation(description="并案 / merge into another clue as a duplicate")
    async def merge_clue(
        self, info: Info, clue_id: strawberry.ID, into_clue_id: strawberry.ID, note: str = ""
    ) -> ClueResult:
        who = commands.actor(info.context)
        into = commands.parse_id(into_clue_id, "intoClueId")
        own = own_agency(info.context.user)
        # Both clues must be handled by the caller's agency: the domain refuses the other.
        return await _on_clue(
            info,
            clue_id,
            ClueAction.MERGE,
            lambda app, c: app.merge_clue(c.id, into, note, who, agency=own),
        )

    @strawberry.mutation(description="不予受理 / dismiss with a reason")
    async def dismiss_clue(self, info: Info, clue_id: strawberry.ID, reason: str) -> ClueResult:
        who = commands.actor(info.context)
        return await _on_clue(
            info, clue_id, ClueAction.DISMISS, lambda app, c: app.dismiss_clue(c.id, reason, who)
        )

    @strawberry.mutation(
        description="办结 / conclude a clue handled in our agency; a referred clue concludes "
        "itself when its referral is accepted (by hand only if that happened before it did)"
    )
    async def conclude_clue(self, info: Info, clue_id: strawberry.ID, outcome: str) -> ClueResult:
        who = commands.actor(info.context)
        return await _on_clue(
            info, clue_id, ClueAction.CONCLUDE, lambda app, c: app.conclude_clue(c.id, outcome, who)
        )

    @strawberry.mutation(description="答复举报人 / record the reply to a real-name reporter")
    async def reply_to_reporter(
        self, info: Info, clue_id: strawberry.ID, text: str, channel: str
    ) -> ClueResult:
        who = commands.actor(info.context)
        return await _on_clue(
            info,
            clue_id,
            ClueAction.REPLY,
            lambda app, c: app.reply_to_reporter(c.id, text, channel, who),
        )

    @strawberry.mutation(
        description="查看举报人身份 / reveal the reporter to the handling agency (recorded)"
    )
    async def reveal_reporter(
        self, info: Info, clue_id: strawberry.ID, reason: str
    ) -> RevealResult:
        item = commands.parse_id(clue_id, "clueId")
        user, who = info.context.user, commands.actor(info.context)

        def reveal(app: RectifyApp) -> tuple[ReporterIdentity, CommandResult]:
            clue = app.get_clue(item)
            own = authorize(user, ClueAction.REVEAL, clue.agency_id, clue.handling_agency_id)
            assert own is not None  # authorize refuses a user without an agency
            # Not replayed under a key: a retry reveals (and records) again, as the
            # identity is shown only by revealing it.
            with command_keys.keyed(None):
                return app.reveal_reporter(clue.id, own, reason, who)

        # The identity comes from the event store: nothing here waits for the read side;
        # the caller's next read asks for `position` (X-Rectify-Min-Position).
        identity, result = await run_in_threadpool(reveal, info.context.app)
        return RevealedReporter(
            clue_id=strawberry.ID(str(item)),
            name=identity.name,
            phone=identity.phone,
            id_number=identity.id_number,
            address=identity.address,
            position=result.position,
        )

    @strawberry.mutation(description="答复时限 / a campaign's reply period (coordinators)")
    async def set_clue_reply_days(
        self, info: Info, campaign: strawberry.ID, reply_days: int
    ) -> ClueTermsResult:
        authorize(info.context.user, ClueAction.SET_REPLY_DAYS)
        who, item = commands.actor(info.context), _campaign(campaign)
        result = await commands.run_command(
            info.context, lambda app: app.set_clue_reply_days(item, reply_days, who)
        )
        return ClueTerms(
            campaign_id=strawberry.ID(str(item)), reply_days=reply_days, position=result.position
        )
