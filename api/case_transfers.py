"""Case transfers (行刑衔接) and transfers to discipline inspection in GraphQL: the item view
with its deadlines, breaches and history, a paginated list, and one mutation per step, each
returning the CaseTransferResult union. Who may take which step: api/authz/case_transfers.py,
checked on the worker thread against the aggregate (never a stale read model).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated
from uuid import UUID

import strawberry

from api import commands, cursors, freshness
from api.authz.case_transfers import Step, authorize_step, may_read, reads_all
from api.authz.core import own_agency
from api.case_transfer_types import (
    CaseTransfer,
    CaseTransferConnection,
    CaseTransferEdge,
    CaseTransferFilter,
    DisciplineOutcome,
    PersonCategory,
    ReconsiderationOutcome,
    SupervisionOutcome,
)
from api.context import Context
from api.results import (
    ConflictResult,
    InvalidInputResult,
    InvalidTransitionResult,
    NotAllowedResult,
    NotFoundResult,
)
from api.types import PageInfo
from domain import case_transfers as criminal
from domain import discipline_transfers as discipline
from domain.application import CommandResult, RectifyApp
from domain.errors import InvalidInput
from domain.names import campaign_id
from projections import case_transfer_queries as transfer_queries
from projections import queries
from projections.keyset import known

Info = strawberry.Info[Context, None]
MAX_PAGE = 200


@strawberry.enum(description="移送列表排序 / orders of the transfer list")
class CaseTransferOrder(Enum):
    REPORTED = strawberry.enum_value("REPORTED", description="报告先后 / in the order reported")
    DUE = strawberry.enum_value(
        "DUE", description="法定时限最近在前 / the running statutory clock's due soonest first"
    )
    UPDATED = strawberry.enum_value(
        "UPDATED", description="最近变动在前 / most recently changed first"
    )


_EMPTY = CaseTransferConnection(
    total=known(0), edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
)


@strawberry.type
class CaseTransferQuery:
    @strawberry.field(description="一件案件移送及其全部经过 / one case transfer with its history")
    async def case_transfer(self, info: Info, id: strawberry.ID) -> CaseTransfer | None:
        try:
            item = commands.parse_id(id, "id")
        except InvalidInput:
            return None
        row = await transfer_queries.transfer_by_id(info.context.pool, item, datetime.now(UTC))
        if row is None or not may_read(info.context.user, row):
            return None
        return CaseTransfer.of(row)

    @strawberry.field(description="案件移送 / case transfers the caller may see, oldest first")
    async def case_transfers(
        self,
        info: Info,
        filter: CaseTransferFilter | None = None,
        first: int = 50,
        after: str | None = None,
        order_by: CaseTransferOrder = CaseTransferOrder.REPORTED,
    ) -> CaseTransferConnection:
        context, given = info.context, filter or CaseTransferFilter()
        cursors.page_size(first, MAX_PAGE)
        user = context.user
        if reads_all(user):
            party = None
            if given.agency is not None:
                party = await queries.resolve_agency(context.pool, given.agency)
                if party is None:
                    return _EMPTY
        else:
            # Agency staff see their own agency's transfers, whatever they ask for.
            party = own_agency(user)
            if party is None:
                return _EMPTY
        found = transfer_queries.TransferFilter(
            party,
            given.kind.value if given.kind else None,
            given.status.value if given.status else None,
            given.overdue,
            given.breached,
        )
        order = order_by.name  # each member's name is its value (strawberry.enum_value)
        keyset = transfer_queries.TRANSFER_ORDERS[order]
        page = await transfer_queries.transfer_page(
            context.pool,
            found,
            datetime.now(UTC),
            first,
            cursors.decode(after, "case_transfer", order, keyset) if after else None,
            order,
        )
        edges = [
            CaseTransferEdge(
                cursor=cursors.encode("case_transfer", order, keyset, r), node=CaseTransfer.of(r)
            )
            for r in page.rows
        ]
        return CaseTransferConnection(
            total=page.total,
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
        )


# -- mutations ---------------------------------------------------------------------------


@strawberry.type
class CaseTransferChanged:
    case_transfer: CaseTransfer | None = strawberry.field(
        description="the transfer as the read side shows it once it has caught up"
    )
    position: int | None = strawberry.field(
        description="log position of the change; null when nothing had to change"
    )


CaseTransferResult = Annotated[
    CaseTransferChanged
    | NotAllowedResult
    | InvalidTransitionResult
    | InvalidInputResult
    | NotFoundResult
    | ConflictResult,
    strawberry.union("CaseTransferResult"),
]

Work = Callable[[RectifyApp], CommandResult]


async def _run(info: Info, work: Work) -> CaseTransferChanged:
    """Run the command; refusals go through the schema's table (api/results.py)."""
    context = info.context
    result = await commands.run_command(context, work)
    if not freshness.asks_for(info, "caseTransfer"):
        return CaseTransferChanged(case_transfer=None, position=result.position)
    if result.position is not None:
        await freshness.caught_up(context, result.position, commands.READ_YOUR_WRITES_SECONDS)
    row = await transfer_queries.transfer_by_id(context.pool, result.id, datetime.now(UTC))
    return CaseTransferChanged(
        case_transfer=CaseTransfer.of(row) if row else None, position=result.position
    )


def _party(step: Step, transfer: criminal.CaseTransfer) -> tuple[UUID | None, str]:
    """The agency a step of a criminal transfer belongs to, and its name."""
    if step in (Step.CONCLUDE_SUPERVISION,):
        return transfer.procuratorate_id, transfer.procuratorate_name or "人民检察院"
    if step in (
        Step.RECEIVE,
        Step.FORWARD,
        Step.FILE,
        Step.REFUSE,
        Step.ANSWER_RECONSIDERATION,
    ):
        return transfer.police_agency_id, transfer.police_name
    return transfer.agency_id, transfer.agency_name


def _on_transfer(
    info: Info,
    transfer_id: str,
    step: Step,
    command: Callable[[RectifyApp, criminal.CaseTransfer, UUID], CommandResult],
) -> Work:
    """Load the transfer, check the caller may take `step` for its party, then run."""
    item = commands.parse_id(transfer_id, "transferId")
    user = info.context.user

    def work(app: RectifyApp) -> CommandResult:
        transfer = app.get_case_transfer(item)
        party, name = _party(step, transfer)
        # No procuratorate asked yet: the transfer itself refuses, naming its state.
        acting_for = authorize_step(user, step, party, name)
        return command(app, transfer, acting_for)

    return work


def _on_discipline(
    info: Info,
    transfer_id: str,
    step: Step,
    command: Callable[[RectifyApp, discipline.DisciplineTransfer, UUID], CommandResult],
) -> Work:
    item = commands.parse_id(transfer_id, "transferId")
    user = info.context.user

    def work(app: RectifyApp) -> CommandResult:
        transfer = app.get_discipline_transfer(item)
        acting_for = authorize_step(user, step, transfer.commission_id, transfer.commission_name)
        return command(app, transfer, acting_for)

    return work


def _campaign(key: str | None) -> UUID | None:
    """By id or by title; an unknown one is refused by the command as NotFound."""
    if key is None:
        return None
    try:
        return UUID(str(key).strip())
    except ValueError:
        return campaign_id(str(key))


@strawberry.input
class ReportCaseTransferInput:
    police: strawberry.ID = strawberry.field(description="the police agency: id or name")
    facts: str = strawberry.field(description="案情: what was found")
    suspected_offence: str = strawberry.field(default="", description="涉嫌罪名")
    suspect: str = ""
    case_number: str = strawberry.field(default="", description="the administrative case number")
    attachments: list[str] = strawberry.field(default_factory=list)
    campaign: strawberry.ID | None = strawberry.field(default=None, description="id or title")


@strawberry.input
class TransferToDisciplineInput:
    commission: strawberry.ID = strawberry.field(description="纪委监委: id or name")
    person: str
    category: PersonCategory
    facts: str
    attachments: list[str] = strawberry.field(default_factory=list)
    case_transfer: strawberry.ID | None = strawberry.field(
        default=None, description="the criminal transfer of the same facts, if any"
    )
    campaign: strawberry.ID | None = strawberry.field(default=None, description="id or title")


@strawberry.type
class CaseTransferMutation:
    @strawberry.mutation(description="书面报告 / report a suspected crime for transfer")
    async def report_case_transfer(
        self, info: Info, input: ReportCaseTransferInput
    ) -> CaseTransferResult:
        user, who = info.context.user, commands.actor(info.context)
        agency = authorize_step(user, Step.REPORT, None, "")

        def report(app: RectifyApp) -> CommandResult:
            return app.report_case_transfer(
                agency, commands.find_agency(app, input.police, "police"), input.facts,
                actor=who, suspected_offence=input.suspected_offence, suspect=input.suspect,
                case_number=input.case_number, attachments=input.attachments,
                campaign=_campaign(input.campaign),
            )  # fmt: skip

        return await _run(info, report)

    @strawberry.mutation(description="负责人批准移送 / the agency head approves")
    async def approve_case_transfer(
        self, info: Info, transfer_id: strawberry.ID, comment: str = ""
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.APPROVE,
                lambda app, t, _: app.approve_case_transfer(t.id, comment, who),
            ),
        )

    @strawberry.mutation(description="负责人不批准移送 / the agency head declines, with reasons")
    async def decline_case_transfer(
        self, info: Info, transfer_id: strawberry.ID, reason: str
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.DECLINE,
                lambda app, t, _: app.decline_case_transfer(t.id, reason, who),
            ),
        )

    @strawberry.mutation(description="移送公安机关 / send the approved transfer to the police")
    async def send_case_transfer(
        self, info: Info, transfer_id: strawberry.ID
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info, transfer_id, Step.SEND, lambda app, t, _: app.send_case_transfer(t.id, who)
            ),
        )

    @strawberry.mutation(description="公安机关接收 / the police sign for the file")
    async def receive_case_transfer(
        self, info: Info, transfer_id: strawberry.ID
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.RECEIVE,
                lambda app, t, agency: app.receive_case_transfer(t.id, agency, who),
            ),
        )

    @strawberry.mutation(description="移送有管辖权的公安机关 / forward to the competent police")
    async def forward_case_transfer(
        self, info: Info, transfer_id: strawberry.ID, police: strawberry.ID, reason: str
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.FORWARD,
                lambda app, t, agency: app.forward_case_transfer(
                    t.id, agency, commands.find_agency(app, police, "police"), reason, who
                ),
            ),
        )

    @strawberry.mutation(description="立案 / the police open a criminal case")
    async def file_criminal_case(
        self, info: Info, transfer_id: strawberry.ID, criminal_case_number: str = ""
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.FILE,
                lambda app, t, agency: app.file_criminal_case(
                    t.id, agency, criminal_case_number, who
                ),
            ),
        )

    @strawberry.mutation(description="不予立案 / the police refuse, with reasons")
    async def refuse_case_transfer(
        self, info: Info, transfer_id: strawberry.ID, reasons: str
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.REFUSE,
                lambda app, t, agency: app.refuse_case_transfer(t.id, agency, reasons, who),
            ),
        )

    @strawberry.mutation(description="提请复议 / the agency asks the police to reconsider")
    async def request_transfer_reconsideration(
        self, info: Info, transfer_id: strawberry.ID, reason: str
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.REQUEST_RECONSIDERATION,
                lambda app, t, _: app.request_transfer_reconsideration(t.id, reason, who),
            ),
        )

    @strawberry.mutation(description="复议决定 / the police answer the reconsideration")
    async def answer_transfer_reconsideration(
        self,
        info: Info,
        transfer_id: strawberry.ID,
        outcome: ReconsiderationOutcome,
        reasons: str = "",
        criminal_case_number: str = "",
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.ANSWER_RECONSIDERATION,
                lambda app, t, agency: app.answer_transfer_reconsideration(
                    t.id,
                    agency,
                    criminal.ReconsiderationOutcome(outcome.value),
                    reasons,
                    who,
                    criminal_case_number=criminal_case_number,
                ),
            ),
        )

    @strawberry.mutation(description="建议检察院立案监督 / ask the procuratorate to supervise")
    async def request_transfer_supervision(
        self, info: Info, transfer_id: strawberry.ID, procuratorate: strawberry.ID, reason: str
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.REQUEST_SUPERVISION,
                lambda app, t, _: app.request_transfer_supervision(
                    t.id, commands.find_agency(app, procuratorate, "procuratorate"), reason, who
                ),
            ),
        )

    @strawberry.mutation(description="立案监督结果 / the procuratorate's outcome")
    async def conclude_transfer_supervision(
        self,
        info: Info,
        transfer_id: strawberry.ID,
        outcome: SupervisionOutcome,
        opinion: str,
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_transfer(
                info,
                transfer_id,
                Step.CONCLUDE_SUPERVISION,
                lambda app, t, agency: app.conclude_transfer_supervision(
                    t.id, agency, criminal.SupervisionOutcome(outcome.value), opinion, who
                ),
            ),
        )

    @strawberry.mutation(description="移送纪检监察机关 / transfer an official's or member's case")
    async def transfer_to_discipline(
        self, info: Info, input: TransferToDisciplineInput
    ) -> CaseTransferResult:
        user, who = info.context.user, commands.actor(info.context)
        agency = authorize_step(user, Step.SEND_TO_DISCIPLINE, None, "")
        linked = (
            commands.parse_id(input.case_transfer, "caseTransfer") if input.case_transfer else None
        )

        def send(app: RectifyApp) -> CommandResult:
            return app.send_discipline_transfer(
                agency, commands.find_agency(app, input.commission, "commission"), input.person,
                discipline.PersonCategory(input.category.value), input.facts, actor=who,
                attachments=input.attachments, case_transfer=linked,
                campaign=_campaign(input.campaign),
            )  # fmt: skip

        return await _run(info, send)

    @strawberry.mutation(description="纪检监察机关接收 / the commission receives")
    async def receive_discipline_transfer(
        self, info: Info, transfer_id: strawberry.ID
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_discipline(
                info,
                transfer_id,
                Step.RECEIVE_DISCIPLINE,
                lambda app, t, agency: app.receive_discipline_transfer(t.id, agency, who),
            ),
        )

    @strawberry.mutation(description="纪检监察机关处置 / the commission decides")
    async def decide_discipline_transfer(
        self,
        info: Info,
        transfer_id: strawberry.ID,
        outcome: DisciplineOutcome,
        detail: str = "",
    ) -> CaseTransferResult:
        who = commands.actor(info.context)
        return await _run(
            info,
            _on_discipline(
                info,
                transfer_id,
                Step.DECIDE_DISCIPLINE,
                lambda app, t, agency: app.decide_discipline_transfer(
                    t.id, agency, discipline.DisciplineOutcome(outcome.value), detail, who
                ),
            ),
        )
