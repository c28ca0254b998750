"""Referrals (移送/转办) in GraphQL: the liaisons' work queue, the item view with its
history, and one mutation per step, each returning the ReferralResult union.

Who may do what: api/authz/referrals.py's table, checked on the aggregate, on the worker
thread, before the command (send: a liaison for its own agency, a coordinator or admin for
any; claim, return, answer: a liaison of the receiving agency; accept, send back: of the
sending agency, or a coordinator; reassign: a coordinator or admin). A linked subject
(subjectKind/subjectId) must exist and, for a liaison, be its agency's: a clue it
handles, an issue it leads or co-owns, a case it is party to (the domain checks it).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated
from uuid import UUID

import strawberry
from graphql import GraphQLError

from api import commands, cursors, freshness, provisional
from api.auth import User
from api.authz.core import Scope, acting_agency, own_agency
from api.authz.referrals import (
    NO_AGENCY,
    NO_AGENCY_ACTING,
    ReferralAction,
    authorize,
    may_read,
    reads_all,
)
from api.context import Context
from api.results import (
    AlreadyClaimedResult,
    ConflictResult,
    InvalidInputResult,
    InvalidTransitionResult,
    NotAllowedResult,
    NotFoundResult,
)
from api.types import Agency, AgencyKind, Counted, HistoryEntry, PageInfo
from domain import referrals as domain
from domain.application import CommandResult, RectifyApp
from domain.errors import InvalidInput
from domain.names import campaign_id
from domain.referrals import STATUS_LABELS
from projections import queries, referral_queries
from projections.keyset import known
from projections.referral_queries import Direction as QueueDirection

Info = strawberry.Info[Context, None]
MAX_PAGE = 200


@strawberry.enum
class ReferralStatus(Enum):
    SENT = "SENT"  # 待签收
    CLAIMED = "CLAIMED"  # 办理中
    ANSWERED = "ANSWERED"  # 已反馈
    ACCEPTED = "ACCEPTED"  # 已办结
    RETURNED = "RETURNED"  # 已退回, awaiting reassignment
    DISPATCHED = "DISPATCHED"  # 已分送: a group referral whose children are not all answered


@strawberry.enum
class ReturnReason(Enum):
    NOT_OUR_REMIT = "NOT_OUR_REMIT"  # 不属于本单位职责
    INSUFFICIENT_MATERIAL = "INSUFFICIENT_MATERIAL"  # 材料不全
    NEEDS_ANOTHER_AGENCY = "NEEDS_ANOTHER_AGENCY"  # 需其他单位办理
    OTHER = "OTHER"


@strawberry.enum
class ReferralDirection(Enum):
    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"


@strawberry.type
class Referral:
    id: strawberry.ID
    status: ReferralStatus
    status_label: str
    reason: str
    subject_kind: str = strawberry.field(description="clue, issue, case, or empty")
    subject_id: strawberry.ID | None
    attachments: list[str]
    sender: Agency
    receiver: Agency = strawberry.field(description="the current receiver (or the group)")
    is_group: bool
    parent_id: strawberry.ID | None
    round: int = strawberry.field(description="1, then +1 at each reassignment")
    claimed_by: str
    claim_due: datetime | None = strawberry.field(description="claim by this instant")
    answer_due: datetime | None = strawberry.field(description="answer by this instant")
    due_at: datetime | None = strawberry.field(description="the due of the running clock")
    overdue: bool
    outcome: str
    case_number: str
    sent_at: datetime

    @strawberry.field
    async def history(self, info: Info) -> list[HistoryEntry]:
        rows = await referral_queries.referral_history(info.context.pool, UUID(str(self.id)))
        return [
            HistoryEntry(at=r["at"], type=r["type"], actor=r["actor"], summary=r["summary"])
            for r in rows
        ]

    @strawberry.field(description=provisional.DESCRIPTION)
    async def provisional(self, info: Info) -> bool:
        return await provisional.is_provisional(info, self.due_at)

    @strawberry.field(description="one child per member agency of a group referral")
    async def children(self, info: Info) -> list["Referral"]:
        if not self.is_group:
            return []
        rows = await referral_queries.referral_children(
            info.context.pool, UUID(str(self.id)), datetime.now(UTC)
        )
        return [Referral.of(r) for r in rows]

    @classmethod
    def of(cls, row: referral_queries.ReferralRow) -> "Referral":
        status = domain.ReferralStatus(row["status"])
        return cls(
            id=strawberry.ID(str(row["id"])),
            status=ReferralStatus(status.value),
            status_label=STATUS_LABELS[status],
            reason=row["reason"],
            subject_kind=row["subject_kind"],
            subject_id=strawberry.ID(str(row["subject_id"])) if row["subject_id"] else None,
            attachments=list(row["attachments"]),
            sender=Agency(
                id=strawberry.ID(str(row["sender_agency_id"])),
                name=row["sender_name"] or "",
                kind=AgencyKind(row["sender_kind"]) if row["sender_kind"] else None,
            ),
            receiver=Agency(
                id=strawberry.ID(str(row["receiver_agency_id"])),
                name=row["receiver_name"],
                kind=AgencyKind(row["receiver_kind"]) if row["receiver_kind"] else None,
            ),
            is_group=row["is_group"],
            parent_id=strawberry.ID(str(row["parent_id"])) if row["parent_id"] else None,
            round=row["round"],
            claimed_by=row["claimed_by"],
            claim_due=row["claim_due"],
            answer_due=row["answer_due"],
            due_at=row["due_at"],
            overdue=bool(row["overdue"]),
            outcome=row["outcome"],
            case_number=row["case_number"],
            sent_at=row["sent_at"],
        )


@strawberry.type
class ReferralEdge:
    cursor: str
    node: Referral


@strawberry.type
class ReferralConnection(Counted):
    edges: list[ReferralEdge]
    page_info: PageInfo


@strawberry.input
class ReferralQueueFilter:
    status: ReferralStatus | None = None
    due_soon: bool | None = strawberry.field(default=None, description="due within two days")
    overdue: bool | None = None
    direction: ReferralDirection = strawberry.field(
        default=ReferralDirection.INCOMING,
        description="INCOMING: addressed to the agency; OUTGOING: sent by it",
    )
    agency: strawberry.ID | None = strawberry.field(
        default=None, description="coordinators only: one agency's queue (id, name or alias)"
    )


def _acting(info: Info) -> UUID:
    """The agency the caller speaks for, so the domain checks it too (not only the API)."""
    return acting_agency(info.context.user, NO_AGENCY_ACTING)


@strawberry.enum(description="队列排序 / orders of the referral queue")
class ReferralOrder(Enum):
    SENT = strawberry.enum_value("SENT", description="移送先后 / in the order sent")
    DUE = strawberry.enum_value(
        "DUE", description="签收或反馈时限最近在前 / the running clock's due soonest first"
    )
    UPDATED = strawberry.enum_value(
        "UPDATED", description="最近变动在前 / most recently changed first"
    )


_EMPTY = ReferralConnection(
    total=known(0), edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
)


@strawberry.type
class ReferralQuery:
    @strawberry.field(description="签收/办理队列 / the work queue: the caller's own agency")
    async def referral_queue(
        self,
        info: Info,
        filter: ReferralQueueFilter | None = None,
        first: int = 50,
        after: str | None = None,
        order_by: ReferralOrder = ReferralOrder.SENT,
    ) -> ReferralConnection:
        context, given = info.context, filter or ReferralQueueFilter()
        cursors.page_size(first, MAX_PAGE)
        user = context.user
        # Coordinators run the work; leadership and auditors oversee it: all agencies.
        if reads_all(user):
            agency = None
            if given.agency is not None:
                agency = await queries.resolve_agency(context.pool, given.agency)
                if agency is None:
                    return _EMPTY
        else:
            # Everyone else sees the queue of their own agency; asking for another's is
            # said to be refused rather than silently answered with one's own.
            agency = own_agency(user)
            if agency is None:
                return _EMPTY
            if given.agency is not None:
                asked = await queries.resolve_agency(context.pool, given.agency)
                if asked != agency:
                    raise GraphQLError(
                        "filter.agency: 只能查看本单位的队列 / only your own agency's queue"
                        " (coordinators, leadership and auditors may name another)"
                    )
        queue = referral_queries.QueueFilter(
            agency,
            QueueDirection(given.direction.value),
            given.status.value if given.status else None,
            given.due_soon,
            given.overdue,
        )
        order = order_by.name  # each member's name is its value (strawberry.enum_value)
        keyset = referral_queries.REFERRAL_ORDERS[order]
        page = await referral_queries.referral_page(
            context.pool,
            queue,
            datetime.now(UTC),
            first,
            cursors.decode(after, "referral", order, keyset) if after else None,
            order,
        )
        edges = [
            ReferralEdge(cursor=cursors.encode("referral", order, keyset, r), node=Referral.of(r))
            for r in page.rows
        ]
        return ReferralConnection(
            total=page.total,
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(description="一件移送及其全部经过 / one referral with its history")
    async def referral(self, info: Info, id: strawberry.ID) -> Referral | None:
        try:
            item = commands.parse_id(id, "id")
        except InvalidInput:
            return None
        row = await referral_queries.referral_by_id(info.context.pool, item, datetime.now(UTC))
        if row is None or not may_read(info.context.user, row):
            return None
        return Referral.of(row)


# -- mutations ---------------------------------------------------------------------------


@strawberry.type
class ReferralChanged:
    referral: Referral | None = strawberry.field(
        description="the referral as the read side shows it once it has caught up"
    )
    position: int | None = strawberry.field(
        description="log position of the change; null when nothing had to change"
    )


ReferralResult = Annotated[
    ReferralChanged
    | NotAllowedResult
    | InvalidTransitionResult
    | AlreadyClaimedResult
    | InvalidInputResult
    | NotFoundResult
    | ConflictResult,
    strawberry.union("ReferralResult"),
]


async def _run(info: Info, command: Callable[[RectifyApp], CommandResult]) -> ReferralChanged:
    """Run the command; refusals go through the schema's table (api/results.py), where
    AlreadyClaimed becomes its own union member and every other one a shared member."""
    context = info.context
    result = await commands.run_command(context, command)
    if not freshness.asks_for(info, "referral"):
        return ReferralChanged(referral=None, position=result.position)
    if result.position is not None:
        await freshness.caught_up(context, result.position, commands.READ_YOUR_WRITES_SECONDS)
    row = await referral_queries.referral_by_id(context.pool, result.id, datetime.now(UTC))
    return ReferralChanged(referral=Referral.of(row) if row else None, position=result.position)


def _on_referral(
    info: Info,
    referral_id: str,
    check: Callable[[User, domain.Referral], None],
    command: Callable[[RectifyApp, domain.Referral], CommandResult],
) -> Callable[[RectifyApp], CommandResult]:
    item = commands.parse_id(referral_id, "referralId")
    user = info.context.user

    def work(app: RectifyApp) -> CommandResult:
        referral = app.get_referral(item)
        check(user, referral)
        return command(app, referral)

    return work


def _may(action: ReferralAction) -> Callable[[User, domain.Referral], None]:
    def check(user: User, referral: domain.Referral) -> None:
        authorize(
            user,
            action,
            sender=referral.sender_agency_id,
            receiver=referral.receiver_agency_id,
            receiver_name=referral.receiver_name,
        )

    return check


def _campaign(key: str) -> UUID:
    """By id or by title; an unknown one is refused by the command as NotFound."""
    try:
        return UUID(str(key).strip())
    except ValueError:
        return campaign_id(str(key))


@strawberry.input
class SendReferralInput:
    receiver: strawberry.ID = strawberry.field(description="agency or agency group: id or name")
    reason: str
    sender: strawberry.ID | None = strawberry.field(
        default=None, description="coordinators: the sending agency; liaisons send for their own"
    )
    subject_kind: str = strawberry.field(default="", description="clue, issue, case, or empty")
    subject_id: strawberry.ID | None = None
    attachments: list[str] = strawberry.field(default_factory=list)
    campaign: strawberry.ID | None = strawberry.field(default=None, description="id or title")


@strawberry.type
class ReferralMutation:
    @strawberry.mutation(description="移送 / refer to another agency or to an agency group")
    async def send_referral(self, info: Info, input: SendReferralInput) -> ReferralResult:
        user, who = info.context.user, commands.actor(info.context)
        named: str | None = input.sender
        scope = authorize(user, ReferralAction.SEND)
        if scope is Scope.OWN:
            sender_key: str | None = str(acting_agency(user, NO_AGENCY))
            named = None if input.sender is None else str(input.sender)
        else:
            sender_key = input.sender
            if sender_key is None:
                raise InvalidInput("sender", "which agency sends? / 请指定移送单位")
        subject = commands.parse_id(input.subject_id, "subjectId") if input.subject_id else None

        def send(app: RectifyApp) -> CommandResult:
            sender = commands.find_agency(app, str(sender_key), "sender")
            # named by id, name or alias: a liaison may only name its own agency
            if named is not None and scope is Scope.OWN:
                authorize(
                    user, ReferralAction.SEND, acting_for=commands.find_agency(app, named, "sender")
                )
            receiver = commands.find_agency(app, input.receiver, "receiver")
            campaign = _campaign(input.campaign) if input.campaign else None
            # The domain checks the linked subject: real, and the sender's unless the office
            # (a coordinator) links it.
            return app.send_referral(
                sender, receiver, input.reason, actor=who, subject_kind=input.subject_kind,
                subject_id=subject, attachments=input.attachments, campaign=campaign,
                office=scope is Scope.ANY,
            )  # fmt: skip

        return await _run(info, send)

    @strawberry.mutation(description="签收 / claim (a liaison of the receiving agency)")
    async def claim_referral(self, info: Info, referral_id: strawberry.ID) -> ReferralResult:
        who = commands.actor(info.context)

        return await _run(
            info,
            _on_referral(
                info,
                referral_id,
                _may(ReferralAction.CLAIM),
                lambda app, r: app.claim_referral(
                    r.id, acting_agency(info.context.user, NO_AGENCY), who
                ),
            ),
        )

    @strawberry.mutation(
        description="退回 / return, unclaimed or after claiming (not our remit …); after "
        "claiming `detail` says why"
    )
    async def return_referral(
        self, info: Info, referral_id: strawberry.ID, reason: ReturnReason, detail: str = ""
    ) -> ReferralResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_referral(
                info,
                referral_id,
                _may(ReferralAction.RETURN),
                lambda app, r: app.return_referral(
                    r.id, _acting(info), domain.ReturnReason(reason.value), detail, who
                ),
            ),
        )

    @strawberry.mutation(description="办理结果反馈 / answer with the outcome")
    async def answer_referral(
        self,
        info: Info,
        referral_id: strawberry.ID,
        outcome: str,
        measures: list[str] | None = None,
        penalties: str = "",
        case_number: str = "",
        attachments: list[str] | None = None,
    ) -> ReferralResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_referral(
                info,
                referral_id,
                _may(ReferralAction.ANSWER),
                lambda app, r: app.answer_referral(
                    r.id,
                    _acting(info),
                    outcome,
                    who,
                    measures=measures or [],
                    penalties=penalties,
                    case_number=case_number,
                    attachments=attachments or [],
                ),
            ),
        )

    @strawberry.mutation(description="确认办结 / accept the answer (the sender)")
    async def accept_referral(
        self, info: Info, referral_id: strawberry.ID, comment: str = ""
    ) -> ReferralResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_referral(
                info,
                referral_id,
                _may(ReferralAction.ACCEPT),
                lambda app, r: app.accept_referral(r.id, comment, who),
            ),
        )

    @strawberry.mutation(description="退回重办 / send the answer back for more work")
    async def send_back_referral(
        self, info: Info, referral_id: strawberry.ID, reason: str
    ) -> ReferralResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_referral(
                info,
                referral_id,
                _may(ReferralAction.SEND_BACK),
                lambda app, r: app.send_back_referral(r.id, reason, who),
            ),
        )

    @strawberry.mutation(
        description="重新指派 / reassign a returned, unclaimed or claimed referral to another "
        "agency (coordinators)"
    )
    async def reassign_referral(
        self, info: Info, referral_id: strawberry.ID, agency: strawberry.ID, reason: str
    ) -> ReferralResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_referral(
                info,
                referral_id,
                _may(ReferralAction.REASSIGN),
                lambda app, r: app.reassign_referral(
                    r.id, commands.find_agency(app, agency, "agency"), reason, who
                ),
            ),
        )


@strawberry.type
class ReferralTerms:
    campaign_id: strawberry.ID
    claim_days: int = strawberry.field(description="签收时限：发出（或改派）后的工作日数")
    answer_days: int = strawberry.field(description="反馈时限：签收（或退回重办）后的工作日数")
    position: int | None = strawberry.field(description="null when nothing had to change")


ReferralTermsResult = Annotated[
    ReferralTerms | NotAllowedResult | InvalidInputResult | NotFoundResult | ConflictResult,
    strawberry.union("ReferralTermsResult"),
]


@strawberry.type
class ReferralTermsMutation:
    @strawberry.mutation(description="移送时限 / a campaign's referral periods (coordinators)")
    async def set_referral_terms(
        self, info: Info, campaign: strawberry.ID, claim_days: int, answer_days: int
    ) -> ReferralTermsResult:
        user, who = info.context.user, commands.actor(info.context)
        authorize(user, ReferralAction.SET_TERMS)
        item = _campaign(campaign)
        result = await commands.run_command(
            info.context, lambda app: app.set_referral_terms(item, claim_days, answer_days, who)
        )
        return ReferralTerms(
            campaign_id=strawberry.ID(str(item)),
            claim_days=claim_days,
            answer_days=answer_days,
            position=result.position,
        )
