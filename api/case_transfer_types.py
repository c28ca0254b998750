"""GraphQL types of case transfers (行刑衔接) and transfers to discipline inspection: the
item view with its statutory deadlines, breaches and history, and the list's page."""

import json
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry

from api import provisional
from api.context import Context
from api.types import Agency, Counted, HistoryEntry, PageInfo
from domain import case_transfers as criminal
from domain import discipline_transfers as discipline
from domain.clocks import TIMEZONE
from projections import case_transfer_queries as transfer_queries

Info = strawberry.Info[Context, None]


@strawberry.enum
class CaseTransferKind(Enum):
    CRIMINAL = "CRIMINAL"  # 移送公安机关（涉嫌犯罪）
    DISCIPLINE = "DISCIPLINE"  # 移送纪检监察机关


@strawberry.enum
class CaseTransferStatus(Enum):
    REPORTED = "REPORTED"  # 待审批
    APPROVED = "APPROVED"  # 待移送
    DECLINED = "DECLINED"  # 不批准移送
    SENT = "SENT"  # 待接收
    RECEIVED = "RECEIVED"  # 待立案决定 / 待处置
    FORWARDED = "FORWARDED"  # 已转移管辖
    FILED = "FILED"  # 已立案
    REFUSED = "REFUSED"  # 不予立案
    RECONSIDERING = "RECONSIDERING"  # 复议中
    REFUSAL_UPHELD = "REFUSAL_UPHELD"  # 复议维持不予立案
    UNDER_SUPERVISION = "UNDER_SUPERVISION"  # 立案监督中
    FILING_ORDERED = "FILING_ORDERED"  # 检察院通知立案
    SUPERVISION_CLOSED = "SUPERVISION_CLOSED"  # 立案监督终结
    DECIDED = "DECIDED"  # 纪检监察机关已处置


@strawberry.enum
class ReconsiderationOutcome(Enum):
    FILE = "FILE"  # 复议后立案
    UPHOLD = "UPHOLD"  # 维持不予立案


@strawberry.enum
class SupervisionOutcome(Enum):
    FILING_ORDERED = "FILING_ORDERED"  # 通知公安机关立案
    REFUSAL_SUSTAINED = "REFUSAL_SUSTAINED"  # 不立案理由成立


@strawberry.enum
class PersonCategory(Enum):
    PUBLIC_OFFICIAL = "PUBLIC_OFFICIAL"  # 公职人员
    PARTY_MEMBER = "PARTY_MEMBER"  # 党员
    BOTH = "BOTH"


@strawberry.enum
class DisciplineOutcome(Enum):
    OPENED = "OPENED"  # 立案审查调查
    PRELIMINARY_CHECK = "PRELIMINARY_CHECK"  # 初步核实
    NOT_OPENED = "NOT_OPENED"  # 不予立案


DEADLINE_LABELS = {
    "approval": "负责人审批（3日）",
    "sending": "批准后移送（24小时）",
    "forwarding": "移送有管辖权的公安机关（24小时）",
    "decision": "公安机关立案决定（3日）",
    "reconsideration_request": "提请复议（3日）",
    "reconsideration": "复议决定（3日）",
}


@strawberry.type
class StatutoryDeadline:
    step: str = strawberry.field(description="approval, sending, forwarding, decision, …")
    label: str
    due: datetime


@strawberry.type
class StatutoryBreach:
    step: str
    label: str
    addressee: str = strawberry.field(description="who was in breach")
    due: datetime
    recorded_at: datetime = strawberry.field(
        description="when it was established: at due by the clock, or when the late step came"
    )


def _status_label(kind: str, status: str) -> str:
    if kind == CaseTransferKind.DISCIPLINE.value:
        return discipline.STATUS_LABELS[discipline.DisciplineStatus(status)]
    return criminal.STATUS_LABELS[criminal.TransferStatus(status)]


def _china(instant: datetime) -> datetime:
    """Every instant of a transfer in one zone and one precision (China time, +08:00, whole
    seconds): the read table keeps UTC from the database beside ISO text from the events,
    and a due in hours carries the microseconds of the step it counts from."""
    return instant.astimezone(TIMEZONE).replace(microsecond=0)


def _china_or_none(instant: datetime | None) -> datetime | None:
    return None if instant is None else _china(instant)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@strawberry.type
class CaseTransfer:
    id: strawberry.ID
    kind: CaseTransferKind
    status: CaseTransferStatus
    status_label: str
    agency: Agency = strawberry.field(description="the transferring administrative agency")
    receiver: Agency = strawberry.field(
        description="the police agency now in charge, or the discipline commission"
    )
    procuratorate: Agency | None
    case_number: str = strawberry.field(description="the administrative case's number")
    suspect: str = strawberry.field(description="the suspect, or the official / party member")
    suspected_offence: str
    person_category: PersonCategory | None
    facts: str
    attachments: list[str]
    outcome: str = strawberry.field(description="the latest decision's reasons or opinion")
    criminal_case_number: str
    deadlines: list[StatutoryDeadline]
    due_at: datetime | None = strawberry.field(description="due of the running statutory clock")
    due_step: str
    overdue: bool
    breaches: list[StatutoryBreach]
    reported_at: datetime

    @strawberry.field(description=provisional.DESCRIPTION)
    async def provisional(self, info: Info) -> bool:
        return await provisional.is_provisional(info, self.due_at)

    @strawberry.field
    async def history(self, info: Info) -> list[HistoryEntry]:
        rows = await transfer_queries.transfer_history(info.context.pool, UUID(str(self.id)))
        return [
            HistoryEntry(at=_china(r["at"]), type=r["type"], actor=r["actor"], summary=r["summary"])
            for r in rows
        ]

    @classmethod
    def of(cls, row: transfer_queries.TransferRow) -> "CaseTransfer":
        deadlines = _json(row["deadlines"]) or {}
        breaches = _json(row["breaches"]) or []
        procuratorate = None
        if row["procuratorate_id"] is not None:
            procuratorate = Agency(
                id=strawberry.ID(str(row["procuratorate_id"])), name=row["procuratorate_name"]
            )
        return cls(
            id=strawberry.ID(str(row["id"])),
            kind=CaseTransferKind(row["kind"]),
            status=CaseTransferStatus(row["status"]),
            status_label=_status_label(row["kind"], row["status"]),
            agency=Agency(id=strawberry.ID(str(row["agency_id"])), name=row["agency_name"]),
            receiver=Agency(id=strawberry.ID(str(row["receiver_id"])), name=row["receiver_name"]),
            procuratorate=procuratorate,
            case_number=row["case_number"],
            suspect=row["suspect"],
            suspected_offence=row["suspected_offence"],
            person_category=PersonCategory(row["category"]) if row["category"] else None,
            facts=row["facts"],
            attachments=list(_json(row["attachments"]) or []),
            outcome=row["outcome"],
            criminal_case_number=row["criminal_case_number"],
            deadlines=[
                StatutoryDeadline(
                    step=step,
                    label=DEADLINE_LABELS.get(step, step),
                    due=_china(datetime.fromisoformat(due)),
                )
                for step, due in sorted(
                    deadlines.items(), key=lambda kv: datetime.fromisoformat(kv[1])
                )
            ],
            due_at=_china_or_none(row["due_at"]),
            due_step=row["due_step"],
            overdue=bool(row["overdue"]),
            breaches=[
                StatutoryBreach(
                    step=b["step"],
                    label=b["label"],
                    addressee=b["addressee"],
                    due=_china(datetime.fromisoformat(b["due"])),
                    recorded_at=_china(datetime.fromisoformat(b["at"])),
                )
                for b in breaches
            ],
            reported_at=_china(row["reported_at"]),
        )


@strawberry.type
class CaseTransferEdge:
    cursor: str
    node: CaseTransfer


@strawberry.type
class CaseTransferConnection(Counted):
    edges: list[CaseTransferEdge]
    page_info: PageInfo


@strawberry.input
class CaseTransferFilter:
    kind: CaseTransferKind | None = None
    status: CaseTransferStatus | None = None
    overdue: bool | None = strawberry.field(
        default=None, description="the running statutory clock's due has passed"
    )
    breached: bool | None = strawberry.field(
        default=None, description="a breach of a statutory clock is on record"
    )
    agency: strawberry.ID | None = strawberry.field(
        default=None,
        description="readers of all transfers: those one agency is party to (id or name)",
    )
