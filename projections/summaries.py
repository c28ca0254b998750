"""One line of Chinese per issue event, as the history of an issue shows it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.clocks import due_stamp
from domain.deadlines import Deadline
from domain.issues import RectificationIssue as Issue
from domain.issues import extended_deadline


def _due(deadline: Deadline) -> str:
    return deadline.due_date.isoformat() if deadline.due_date else deadline.text


# A rung recorded late together with a later one already due: history only (ADR 0008).
CAUGHT_UP_NOTE = "（补记，未另行通知）"


def late(event: object) -> str:
    return CAUGHT_UP_NOTE if getattr(event, "caught_up", False) else ""


def _review(event: Issue.ReminderRecorded | Issue.OverdueRecorded) -> bool:
    """A milestone of an ongoing issue's periodic review (its key says so)."""
    return ":review:" in event.key and event.due is not None


def _instant(due: datetime) -> str:
    """A clock's due instant as the day it ends (00:00 China time is the end of the day before)."""
    return due_stamp(due)


# A year an administrator loaded is noted "2027: <notice> (v2)" (domain.clock_commands).
_LOADED = re.compile(r" \(v\d+\)$")


def due_recomputed(what: str, event: Any) -> str:
    """A referral's, clue's or case transfer's due moved by the calendar (ADR 0023): from
    which day to which, and the loaded arrangement it rests on (else the data per year)."""
    loaded = [note for note in event.calendar if _LOADED.search(note)]
    basis = "；".join(loaded or event.calendar)
    mark = "（暂定）" if event.provisional else ""
    return (
        f"工作日历调整，{what}期限由 {_instant(event.previous)} 改为 {_instant(event.due)}"
        f"{mark}（依据：{basis}）"
    )


def _with(head: str, detail: str) -> str:
    return f"{head}：{detail}" if detail else head


def summarise(event: Issue.Event, agency_name: Callable[[UUID], str]) -> str:
    """The summary of an issue event; `agency_name` names the agency that reported."""
    match event:
        case Issue.Registered():
            return f"登记问题 {event.number}"
        case Issue.ProgressReported():
            return f"{agency_name(event.agency_id)} 报告进展：{event.text}"
        case Issue.SubmittedForVerification():
            return _with("提交核验", event.summary)
        case Issue.SignedOff():
            return _with("核验通过，销号", event.comment)
        case Issue.Rejected():
            return f"退回整改：{event.reason}"
        case Issue.ExtensionRequested():
            return f"申请延期至 {_due(event.requested)}：{event.reason}"
        case Issue.ExtensionApproved():
            extended = extended_deadline(event.previous, event.deadline)
            wording = "" if extended.text == _due(extended) else f"，完成时限：{extended.text}"
            return _with(
                f"批准延期：{_due(event.previous)} → {_due(event.deadline)}{wording}", event.comment
            )
        case Issue.ExtensionDenied():
            return f"驳回延期：{event.reason}"
        case Issue.Reopened():
            return f"回头看重新打开：{event.reason}"
        case Issue.ReminderRecorded(due=datetime() as due) if _review(event):
            return f"定期复查提醒（复查期限 {_instant(due)}）" + late(event)
        case Issue.OverdueRecorded(due=datetime() as due) if _review(event):
            return f"定期复查逾期（复查期限 {_instant(due)}）" + late(event)
        case Issue.ReminderRecorded():
            return f"到期提醒（期限 {_due(event.deadline)}）" + late(event)
        case Issue.OverdueRecorded():
            return f"已逾期（期限 {_due(event.deadline)}）" + late(event)
        case Issue.EscalationRecorded():
            return (
                f"{event.label or event.rung}（送 {event.addressee}，期限 {_due(event.deadline)}）"
                + late(event)
            )
        case Issue.ClockPaused():
            return f"暂停计时：{event.reason}"
        case Issue.ClockResumed():
            return f"恢复计时：{event.reason}"
        case Issue.ClockScheduled():
            return f"开始计时，截止 {_instant(event.due)}" + (
                "（暂定）" if event.provisional else ""
            )
        case Issue.DueDateRecomputed():
            return f"截止时间重算：{_instant(event.previous)} → {_instant(event.due)}" + (
                "（暂定）" if event.provisional else ""
            )
    return type(event).__name__
