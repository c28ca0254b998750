"""GraphQL output types of the ledger, built from read-table records."""

from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry

from api.context import Context
from api.freshness import asks_for
from projections.keyset import Total
from projections.queries import IssueRow
from projections.rows import AgencyRef


@strawberry.enum
class IssueStatus(Enum):
    OPEN = "OPEN"  # 整改中
    SUBMITTED = "SUBMITTED"  # 待核验
    CLOSED = "CLOSED"  # 已销号


@strawberry.enum
class DeadlineKind(Enum):
    DATE = "DATE"
    ONGOING = "ONGOING"


@strawberry.enum
class AgencyKind(Enum):
    AGENCY = "AGENCY"
    GROUP = "GROUP"  # stands for a set of agencies (各县(市、区)人民政府)


_AGENCY_KINDS = {kind.value: kind for kind in AgencyKind}


@strawberry.type
class Agency:
    id: strawberry.ID
    name: str
    kind: AgencyKind | None = None

    @classmethod
    def of(cls, row: Any, prefix: str = "") -> "Agency":
        # twenty a dashboard (ADR 0083): the keys formatted only when prefixed, the kind
        # by a dict's lookup rather than the enum's call
        if prefix:
            found, name, kind = row[f"{prefix}id"], row[f"{prefix}name"], row[f"{prefix}kind"]
        else:
            found, name, kind = row["id"], row["name"], row["kind"]
        return cls(
            id=strawberry.ID(str(found)),
            name=name,
            kind=(_AGENCY_KINDS.get(kind) or AgencyKind(kind)) if kind else None,
        )

    @classmethod
    def of_ref(cls, ref: AgencyRef) -> "Agency":
        return cls(
            id=strawberry.ID(str(ref.id)),
            name=ref.name,
            kind=AgencyKind(ref.kind) if ref.kind else None,
        )


@strawberry.type
class Phase:
    name: str
    starts: date
    ends: date


@strawberry.type
class Campaign:
    id: strawberry.ID
    title: str

    @strawberry.field(description="牵头单位 / the lead agency, once assigned")
    async def lead_agency(self, info: strawberry.Info[Context, None]) -> Agency | None:
        row = await _details(info, self.id)
        if row is None or row["lead_name"] is None:
            return None
        return Agency(
            id=strawberry.ID(str(row["lead_agency_id"])),
            name=row["lead_name"],
            kind=AgencyKind(row["lead_kind"]),
        )

    @strawberry.field(description="成员单位 / member agencies, the lead included")
    async def members(self, info: strawberry.Info[Context, None]) -> list[Agency]:
        row = await _details(info, self.id)
        return [Agency.of(m) for m in row["members"]] if row else []

    @strawberry.field(description="阶段 / phases in date order")
    async def phases(self, info: strawberry.Info[Context, None]) -> list[Phase]:
        return await _phases(info, self.id)

    @strawberry.field(description="today's phase, if any")
    async def current_phase(self, info: strawberry.Info[Context, None]) -> Phase | None:
        today = info.context.today
        phases = await _phases(info, self.id)
        return next((p for p in phases if p.starts <= today <= p.ends), None)


async def _phases(info: strawberry.Info[Context, None], campaign: str) -> list[Phase]:
    row = await _details(info, campaign)
    return [_phase(p) for p in row["phases"]] if row else []


def _phase(raw: dict[str, str]) -> Phase:
    return Phase(
        name=raw["name"],
        starts=date.fromisoformat(raw["starts"]),
        ends=date.fromisoformat(raw["ends"]),
    )


async def _details(info: strawberry.Info[Context, None], campaign: str) -> Any:
    return await info.context.campaigns.load(UUID(str(campaign)))


@strawberry.type
class Deadline:
    kind: DeadlineKind
    due_date: date | None
    text: str = strawberry.field(description="as written in the source ledger")


@strawberry.type
class HistoryEntry:
    at: datetime
    type: str
    actor: str
    summary: str


@strawberry.type
class Issue:
    id: strawberry.ID
    number: str
    problem: str
    measures: list[str]
    status: IssueStatus
    lead_agency: Agency
    co_agencies: list[Agency]
    deadline: Deadline
    overdue: bool
    campaign: Campaign
    cycle: int = strawberry.field(description="1, then +1 at each reopening (回头看)")
    pending_extension_due: date | None
    pending_extension_text: str | None = strawberry.field(
        description="申请延期的期限表述（无待批延期时为空）/ the extension asked for, as "
        "worded (a date alone as its ISO date); null when none is pending"
    )

    @strawberry.field
    async def history(self, info: strawberry.Info[Context, None]) -> list[HistoryEntry]:
        rows = await info.context.histories.load(UUID(str(self.id)))
        return [
            HistoryEntry(at=r["at"], type=r["type"], actor=r["actor"], summary=r["summary"])
            for r in rows
        ]

    @classmethod
    def of(cls, row: IssueRow) -> "Issue":
        return cls(
            id=strawberry.ID(str(row["id"])),
            number=row["number"],
            problem=row["problem"],
            measures=list(row["measures"]),
            status=IssueStatus(row["status"]),
            lead_agency=Agency.of(row, "lead_agency_"),
            co_agencies=[Agency.of(a) for a in row["co_agencies"]],
            deadline=Deadline(
                kind=DeadlineKind(row["deadline_kind"]),
                due_date=row["due_date"],
                text=row["deadline_text"],
            ),
            overdue=bool(row["overdue"]),
            campaign=Campaign(
                id=strawberry.ID(str(row["campaign_id"])), title=row["campaign_title"]
            ),
            cycle=row["cycle"],
            pending_extension_due=row["pending_extension_due"],
            pending_extension_text=row["pending_extension_text"],
        )


@strawberry.type
class IssueEdge:
    cursor: str
    node: Issue


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Counted:
    """A list's count, run only when totalCount is selected (ADR 0053)."""

    total: strawberry.Private[Total]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.total()


# What a CountedByList holds when totalCount was not selected: never served, as only a
# selected field is read (a test asks for totalCount every way a document can)
NOT_COUNTED = -1


@strawberry.type
class CountedByList:
    """A list's count as a plain field, counted by the list's own resolver and only when
    totalCount is selected (`count_if_asked`; ADR 0053's promise kept). Unlike Counted, such
    a connection has no resolver under its root field, so a page of it is filled
    from a kept template and may skip graphql-core's executor (api/root_field.py, ADR
    0086): the work queue's page. (The issues' page cannot yet: an issue's `measures`
    is a list of strings, which no template fills.)"""

    total_count: int


async def count_if_asked(info: Any, total: Total) -> int:
    """`total` awaited when the field being resolved selects totalCount, else NOT_COUNTED."""
    return await total() if asks_for(info, "totalCount") else NOT_COUNTED


@strawberry.type
class IssueConnection(Counted):
    edges: list[IssueEdge]
    page_info: PageInfo


@strawberry.type
class AgencyCounts:
    agency: Agency
    lead: int
    co_responsible: int
    open: int
    closed: int
    overdue: int


@strawberry.type
class Dashboard:
    campaign: Campaign
    total_issues: int
    open: int = strawberry.field(description="not yet signed off (整改中 + 待核验)")
    closed: int
    overdue: int
    by_agency: list[AgencyCounts]


@strawberry.enum(name="Role")
class RoleType(Enum):
    LIAISON = "liaison"
    COORDINATOR = "coordinator"
    LEADERSHIP = "leadership"
    AUDITOR = "auditor"
    ADMIN = "admin"
    INVESTIGATOR = "investigator"
    AGENCY_HEAD = "agency_head"


@strawberry.type
class Me:
    subject: str
    role: RoleType
    agency: Agency | None
    region: str | None = strawberry.field(
        default=None, description="领导所辖地区 / the region leadership decides for, if limited"
    )
    display_name: str | None = strawberry.field(
        default=None, description="姓名（网页账号）/ the web account's display name, if any"
    )


@strawberry.type
class FollowerStatus:
    name: str
    kind: str = strawberry.field(description="projection or dispatcher")
    position: int
    lag: int = strawberry.field(description="events of the log not yet processed")


@strawberry.type
class ClockFault:
    """A clock that cannot run (workflows/clock_faults.py): tried once, it waits for the
    item to change (an extension, a reopening, a calendar loaded)."""

    kind: str = strawberry.field(description="issue, referral, case-transfer, clue …")
    item_id: strawberry.ID
    error: str
    at: datetime = strawberry.field(description="when it last failed")


@strawberry.type
class ParkedEvent:
    """An event a follower could not process as stored (projections/parked.py)."""

    follower: str
    position: int
    item_id: strawberry.ID = strawberry.field(description="the event's stream")
    version: int
    topic: str
    outcome: str = strawberry.field(
        description="sanitised: projected without its NUL characters; skipped: not projected"
    )
    error: str = strawberry.field(description="the error's kind, values masked")
    parked_at: datetime


@strawberry.type
class SystemStatus:
    head: int = strawberry.field(description="position of the newest event in the log")
    followers: list[FollowerStatus]
    parked_count: int = strawberry.field(
        description="已搁置事件数 / events a follower set aside (sanitised or skipped)"
    )
    parked: list[ParkedEvent] = strawberry.field(
        description="the latest 100 of them (coordinators, auditors, admins; empty for others)"
    )
    clock_faults: list[ClockFault] = strawberry.field(
        description="时钟故障 / clocks that cannot run (coordinators, auditors, admins)"
    )
    projection_runner: str | None = strawberry.field(
        default=None,
        description="活动的投影进程 / the active projection runner, HOST:PID (none: no "
        "runner is active; a standby waits for none)",
    )
