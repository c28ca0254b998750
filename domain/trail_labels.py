"""What a case file or an audit trail calls each field, and how it shows a value to a person.

An auditor reads 牵头单位 县卫生健康局 and 2026-12-09 17:30+08:00, not `lead_agency_id`
and a UUID in UTC. The raw field name and value stay beside the label and the text, for
whoever compares them with the log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.agencies import Agency
from domain.clocks import TIMEZONE

LABELS: dict[str, str] = {
    "acceptance_comment": "验收意见",
    "actor": "操作人",
    "address": "地址",
    "addressee": "接收对象",
    "agency_id": "单位",
    "agency_ids": "单位",
    "agency_name": "单位名称",
    "alias": "别名",
    "aliases": "别名",
    "anonymous": "匿名",
    "answer_cycle": "办理轮次",
    "answer_days": "办理期限（工作日）",
    "answer_due": "办理期限",
    "answer_measures": "办理措施",
    "approval_due": "审批期限",
    "at": "时间",
    "attachments": "附件",
    "body": "正文",
    "case_number": "案件编号",
    "case_threshold": "案件数阈值",
    "case_transfer_id": "移送案件",
    "category": "类别",
    "channel": "渠道",
    "children": "分送件",
    "claim_days": "签收期限（工作日）",
    "claim_due": "签收期限",
    "claimed_by": "签收单位",
    "clock_keys": "已记录的时限节点",
    "clock_started": "计时开始",
    "co_agency_ids": "配合单位",
    "comment": "意见",
    "commission_id": "纪检监察机关",
    "commission_name": "纪检监察机关名称",
    "content": "线索内容",
    "created_on": "创建时间",
    "criminal_case_number": "刑事案件编号",
    "current": "当前",
    "cycle": "整改轮次",
    "deadline": "整改时限",
    "decision_due": "决定期限",
    "detail": "详情",
    "due": "到期时间",
    "due_date": "到期日",
    "facts": "案件事实",
    "findings": "检查发现",
    "forwarding_due": "移交期限",
    "from_agency_id": "移出单位",
    "handling_agency_id": "承办单位",
    "handling_name": "承办单位名称",
    "id": "编号",
    "institution": "被举报单位",
    "integrity": "完整性",
    "integrity_warning": "完整性警告",
    "unverified_versions": "未通过哈希校验的版本",
    "is_closed": "已办结",
    "is_ongoing": "长期坚持",
    "kind": "类型",
    "label": "说明",
    "lead_agency_id": "牵头单位",
    "measures": "整改措施",
    "member_agency_ids": "成员单位",
    "member_id": "成员单位",
    "member_ids": "成员单位",
    "merged_into": "并入线索",
    "modified_on": "最后修改时间",
    "name": "名称",
    "note": "备注",
    "number": "问题编号",
    "opinion": "监督意见",
    "outcome": "办理结果",
    "parent_id": "上级",
    "paused_at": "暂停时间",
    "pauses": "暂停记录",
    "penalties": "处罚",
    "pending_extension": "待批延期",
    "person": "被举报人",
    "phase": "阶段",
    "phases": "阶段",
    "police_agency_id": "公安机关",
    "police_name": "公安机关名称",
    "previous": "原值",
    "previous_agency_id": "原单位",
    "problem": "问题",
    "procuratorate_id": "检察机关",
    "procuratorate_name": "检察机关名称",
    "provisional": "暂定（无官方调休安排）",
    "real_name": "实名举报",
    "reason": "理由",
    "reasons": "理由",
    "received_at": "受理时间",
    "receiver_agency_id": "接收单位",
    "receiver_name": "接收单位名称",
    "reconsideration_due": "复议期限",
    "referral_id": "移送件",
    "referred_to": "移送至",
    "region": "地区",
    "registered_deadline": "登记时的整改时限",
    "replied": "已答复",
    "replied_at": "答复时间",
    "reply_channel": "答复渠道",
    "reply_due": "答复期限",
    "requested": "申请延期至",
    "responsible_agency_ids": "责任单位",
    "return_detail": "退回说明",
    "return_reason": "退回理由",
    "reviewed_at": "复核时间",
    "rung": "督办级别",
    "scheduled_due": "计时到期",
    "sealed_identity": "举报人身份",
    "send_back_reason": "退回重办理由",
    "sender_agency_id": "移送单位",
    "sending_due": "移送期限",
    "source": "来源",
    "status": "状态",
    "step": "环节",
    "subject_id": "移送事项",
    "subject_kind": "移送事项类型",
    "submitted": "已提交",
    "summary": "整改情况",
    "suspect": "犯罪嫌疑人",
    "suspected_offence": "涉嫌罪名",
    "text": "内容",
    "title": "标题",
    "triage_note": "分办意见",
    "type": "类型",
    "version": "版本",
}

# Fields holding agency ids under names that do not say so.
_AGENCY_FIELDS = frozenset(
    {"procuratorate_id", "commission_id", "member_id", "member_ids", "claimed_by", "referred_to"}
)
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def label(field: str) -> str:
    """The Chinese label of `field`; the name itself for a field without one."""
    return LABELS.get(field, field)


def holds_agencies(field: str) -> bool:
    return field.endswith(("agency_id", "agency_ids")) or field in _AGENCY_FIELDS


def china_time(value: str) -> str:
    """An ISO date-time (any offset) as China time with its offset; other text unchanged."""
    if not _ISO_TIME.match(value):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.astimezone(TIMEZONE).isoformat()


def shown(field: str, value: Any, agency_name: Callable[[str], str | None]) -> Any:
    """A JSON-ready value as a person reads it: agency ids as names, times in China time, at
    any depth. `agency_name` gives an id's name (None: not an agency, kept as it is)."""
    if isinstance(value, str):
        if holds_agencies(field):
            return agency_name(value) or value
        return china_time(value)
    if isinstance(value, list):
        return [shown(field, v, agency_name) for v in value]
    if isinstance(value, dict):
        return {
            k: shown(k if holds_agencies(k) else field, v, agency_name) for k, v in value.items()
        }
    return value


def agency_names(repository: Any) -> Callable[[str], str | None]:
    """An id's agency name from `repository` (None: not an agency's id), each looked up
    once."""
    cache: dict[str, str | None] = {}

    def name(text: str) -> str | None:
        if text not in cache:
            cache[text] = _agency_name(repository, text)
        return cache[text]

    return name


def _agency_name(repository: Any, text: str) -> str | None:
    try:
        found = repository.get(UUID(text))
    except (ValueError, AggregateNotFoundError):
        return None
    return found.name if isinstance(found, Agency) else None
