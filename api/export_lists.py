"""The lists that can be exported (台账导出), each in the layout officials send upward.

Each export names the GraphQL list it is read from, the fields it selects of each node,
and its columns: Chinese and English header, width, and how a node becomes the cell. The
free text of a row goes through domain.personal_data's Masker as the case file does
(names of persons masked whole, phone and ID numbers scrubbed out of text); the reporter's
identity is not in any list to begin with (api/clues.py shows only 匿名 or 受保护).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from projections.clues import CHANNEL_LABELS

Node = dict[str, Any]
Cell = str | int | None


@dataclass(frozen=True)
class Shown:
    """What a column needs beyond the node: the time zone and the language of the cells."""

    zone: ZoneInfo
    english: bool

    def instant(self, value: str | None) -> str:
        """A GraphQL DateTime as the time in the campaign's zone (China time)."""
        if not value:
            return ""
        return datetime.fromisoformat(value).astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def yes_no(self, value: bool | None) -> str:
        if value is None:
            return ""
        if self.english:
            return "yes" if value else "no"
        return "是" if value else "否"

    def label(self, value: str | None, labels: dict[str, str], chinese: str | None = None) -> str:
        """An enum's value in English, its label in Chinese (the API's own label if given)."""
        if not value:
            return ""
        if self.english:
            return value
        return chinese or labels.get(value, value)


@dataclass(frozen=True)
class Column:
    zh: str
    en: str
    width: int
    cell: Callable[[Node, Shown], Cell]


@dataclass(frozen=True)
class ListExport:
    """One exportable list: `field` is the GraphQL list, `filter_argument` its filter's
    argument, `aggregate` the class whose fields personal_data classifies, `masked` the
    node's text fields to mask (node field -> the aggregate's field name)."""

    name: str
    title_zh: str
    title_en: str
    field: str
    selection: str
    aggregate: str
    masked: dict[str, str]
    columns: list[Column]
    # fields a node gains before it is masked (an issue's 整改进展 from its history)
    derive: Callable[[Node, Shown], None] | None = None


def _agency(node: Node, key: str) -> str:
    found = node.get(key)
    return str(found["name"]) if found else ""


def text(zh: str, en: str, width: int, key: str) -> Column:
    return Column(zh, en, width, lambda n, s: n[key])


def instant(zh: str, en: str, key: str) -> Column:
    return Column(zh, en, 17, lambda n, s: s.instant(n[key]))


def agency(zh: str, en: str, key: str) -> Column:
    return Column(zh, en, 20, lambda n, s: _agency(n, key))


# the API's Chinese label of the status (statusLabel), or its English value
STATUS = Column("状态", "Status", 14, lambda n, s: s.label(n["status"], {}, n["statusLabel"]))
OVERDUE = Column("是否逾期", "Overdue", 9, lambda n, s: s.yes_no(n["overdue"]))


def _numbered(items: list[str]) -> str:
    """Measures as a ledger writes them in one cell: 1.… 2.…, one per line."""
    if len(items) == 1:
        return items[0]
    return "\n".join(f"{n}.{item}" for n, item in enumerate(items, start=1))


def _progress(node: Node, shown: Shown) -> None:
    """整改进展: the latest progress report, when and what (its summary names the agency)."""
    reports = [h for h in node.pop("history", None) or [] if h["type"] == "ProgressReported"]
    node["progress"] = (
        f"{shown.instant(reports[-1]['at'])} {reports[-1]['summary']}" if reports else ""
    )


ISSUE_STATUS = {"OPEN": "整改中", "SUBMITTED": "待核验", "CLOSED": "已销号"}
KINDS = {"CRIMINAL": "行刑衔接", "DISCIPLINE": "移送纪委监委"}
_AGENCY = "{ name }"

ISSUES = ListExport(
    name="issues",
    title_zh="问题整改台账",
    title_en="Rectification ledger",
    field="issues",
    selection=(
        f"id number problem measures status overdue leadAgency {_AGENCY} coAgencies {_AGENCY}"
        " deadline { text dueDate } campaign { title } history { at type summary }"
    ),
    aggregate="RectificationIssue",
    masked={"problem": "problem", "measures": "measures", "progress": "text"},
    columns=[
        text("问题编号", "Number", 10, "number"),
        text("问题", "Problem", 50, "problem"),
        Column("整改措施", "Measures", 60, lambda n, s: _numbered(n["measures"])),
        Column(
            "责任单位",
            "Responsible agencies",
            28,
            # the lead first, as ledgers write it (牵头单位 then 配合单位)
            lambda n, s: "、".join(
                [_agency(n, "leadAgency"), *(a["name"] for a in n["coAgencies"])]
            ),
        ),
        Column("完成时限", "Deadline", 18, lambda n, s: n["deadline"]["text"]),
        text("整改进展", "Progress", 50, "progress"),
        Column("状态", "Status", 10, lambda n, s: s.label(n["status"], ISSUE_STATUS)),
        OVERDUE,
        Column("专项行动", "Campaign", 30, lambda n, s: n["campaign"]["title"]),
    ],
    derive=_progress,
)

REFERRALS = ListExport(
    name="referrals",
    title_zh="移送转办台账",
    title_en="Referrals",
    field="referralQueue",
    selection=(
        f"id status statusLabel reason sender {_AGENCY} receiver {_AGENCY} claimedBy"
        " claimDue answerDue overdue outcome caseNumber sentAt"
    ),
    aggregate="Referral",
    masked={"reason": "reason", "outcome": "outcome"},
    columns=[
        instant("移送时间", "Sent", "sentAt"),
        agency("移送单位", "Sender", "sender"),
        agency("接收单位", "Receiver", "receiver"),
        text("移送事由", "Reason", 50, "reason"),
        STATUS,
        text("签收人", "Claimed by", 16, "claimedBy"),
        instant("签收时限", "Claim due", "claimDue"),
        instant("反馈时限", "Answer due", "answerDue"),
        OVERDUE,
        text("办理结果", "Outcome", 50, "outcome"),
        text("案件编号", "Case number", 16, "caseNumber"),
    ],
)

CLUES = ListExport(
    name="clues",
    title_zh="问题线索台账",
    title_en="Clues",
    field="clues",
    selection=(
        "id status statusLabel channel institution person content reporter { display }"
        f" receivingAgency {_AGENCY} handlingAgency {_AGENCY} outcome replyDue repliedAt"
        " receivedAt"
    ),
    aggregate="Clue",
    masked={"person": "person", "content": "content", "outcome": "outcome"},
    columns=[
        instant("受理时间", "Received", "receivedAt"),
        Column("来源渠道", "Channel", 12, lambda n, s: s.label(n["channel"], CHANNEL_LABELS)),
        text("被举报单位", "Institution", 28, "institution"),
        text("被举报人", "Person reported on", 14, "person"),
        text("反映问题", "Content", 50, "content"),
        # 匿名 / anonymous or 受保护 / protected: the identity itself is never exported
        Column("举报人", "Reporter", 16, lambda n, s: n["reporter"]["display"]),
        agency("受理单位", "Receiving agency", "receivingAgency"),
        agency("承办单位", "Handling agency", "handlingAgency"),
        STATUS,
        text("办理结果", "Outcome", 40, "outcome"),
        instant("答复时限", "Reply due", "replyDue"),
        instant("答复时间", "Replied", "repliedAt"),
    ],
)

CASE_TRANSFERS = ListExport(
    name="case-transfers",
    title_zh="案件移送台账",
    title_en="Case transfers",
    field="caseTransfers",
    selection=(
        f"id kind status statusLabel agency {_AGENCY} receiver {_AGENCY} caseNumber suspect"
        " suspectedOffence facts outcome criminalCaseNumber dueAt dueStep overdue reportedAt"
    ),
    aggregate="CaseTransfer",
    masked={"suspect": "suspect", "facts": "facts", "outcome": "reasons"},
    columns=[
        instant("报告时间", "Reported", "reportedAt"),
        Column("类型", "Kind", 12, lambda n, s: s.label(n["kind"], KINDS)),
        text("案件编号", "Case number", 16, "caseNumber"),
        agency("移送单位", "Transferring agency", "agency"),
        agency("接收单位", "Receiver", "receiver"),
        text("当事人", "Suspect", 14, "suspect"),
        text("涉嫌罪名/事由", "Suspected offence", 20, "suspectedOffence"),
        text("案情", "Facts", 50, "facts"),
        STATUS,
        instant("当前时限", "Due", "dueAt"),
        OVERDUE,
        text("决定及理由", "Decision", 40, "outcome"),
        text("刑事立案号", "Criminal case number", 18, "criminalCaseNumber"),
    ],
)

EXPORTS = {e.name: e for e in (ISSUES, REFERRALS, CLUES, CASE_TRANSFERS)}
