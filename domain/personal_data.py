"""Personal data in exports: which field of which event is a person's data, and masking it.

A case file (`rectify audit export`) and the whole log (`rectify audit log`) leave the
system for external auditors, so they carry no one's name, phone, ID number or address
(个人信息): the person a clue reports on, a suspect, the person a discipline transfer
names. Institutions (被举报单位), agencies and the staff who acted (`actor`: who did what
is what an audit is for) are kept. The reporter's sealed identity and webhook secrets are
受保护 / protected everywhere, as before (domain.audit_trail).

Every field of every event type is classified in `FIELDS`; tests/unit/test_personal_data.py
fails for an event type or field missing from it, so a new field cannot leak silently:

- MASK: the value is a person's data, replaced whole by 已屏蔽 / masked;
- SCRUB: free text written by staff (facts, reasons, outcomes, labels): phone numbers, ID
  numbers and e-mail addresses in it are replaced, and so is every masked value known for
  the item (a suspect's name quoted in the facts, a person's name in a milestone label);
- PROTECT: a sealed identity or a secret: 受保护 / protected;
- KEEP: ids, dates, statuses, institutions, agencies, amounts.

Secrets are protected on every read, not only in exports (the GraphQL audit trail and past
states too, domain.audit_trail), and at every depth: a name classified PROTECT, or a secret
field of a value object (`SECRET_VALUE_FIELDS`), is 受保护 wherever it appears, inside a
map of endpoints, a list, or a before/after change (`protect`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from domain.reporter_identity import PROTECTED

MASKED = "已屏蔽 / masked"
SCRUBBED = "[已屏蔽]"
PROTECTED_IN_TEXT = "[受保护]"  # a secret taken out of a longer text, such as a URL


class Treatment(StrEnum):
    KEEP = "keep"
    MASK = "mask"
    SCRUB = "scrub"
    PROTECT = "protect"


# Fields of every event: the library's topic of a created aggregate, and who acted.
COMMON = {"originator_topic": Treatment.KEEP, "actor": Treatment.KEEP}


def _spec(
    keep: str = "", mask: str = "", scrub: str = "", protect: str = ""
) -> dict[str, Treatment]:
    table: dict[str, Treatment] = {}
    for names, treatment in (
        (keep, Treatment.KEEP),
        (mask, Treatment.MASK),
        (scrub, Treatment.SCRUB),
        (protect, Treatment.PROTECT),
    ):
        for name in names.split():
            if name in table:
                raise ValueError(f"{name} classified twice")
            table[name] = treatment
    return table


_MILESTONE = _spec(keep="key kind rung addressee at due caught_up", scrub="label")
_RECOMPUTED = _spec(keep="clock previous due provisional calendar")

FIELDS: dict[str, dict[str, Treatment]] = {
    # a user account (domain/accounts.py): its password hash is a secret wherever it shows
    "rectify:Account.Created": _spec(keep="username display_name"),
    "rectify:Account.Disabled": _spec(),
    "rectify:Account.FailuresCleared": _spec(keep="at"),
    "rectify:Account.Locked": _spec(keep="reason"),
    "rectify:Account.PasswordSet": _spec(protect="password_hash"),
    "rectify:Account.RoleGranted": _spec(keep="role agency_id agency_name region"),
    "rectify:Account.RoleRevoked": _spec(keep="role"),
    "rectify:Account.SignInFailed": _spec(keep="at failures"),
    "rectify:Account.Unlocked": _spec(),
    "rectify:Agency.AliasAdded": _spec(keep="alias"),
    "rectify:Agency.MemberAdded": _spec(keep="member_id"),
    "rectify:Agency.MemberRemoved": _spec(keep="member_id"),
    "rectify:Agency.RegionAssigned": _spec(keep="region"),
    "rectify:Agency.Registered": _spec(keep="name kind level parent_id region"),
    "rectify:AgencyAlias.Created": _spec(keep="alias agency_id"),
    "rectify:Campaign.CaseThresholdSet": _spec(keep="threshold"),
    "rectify:Campaign.EvidenceRequirementSet": _spec(keep="required"),
    "rectify:Campaign.ExtensionApproversSet": _spec(keep="approvers"),
    "rectify:Campaign.CoverageTargetSet": _spec(keep="category population required_percent region"),
    "rectify:Campaign.Launched": _spec(keep="title lead_agency_id"),
    "rectify:Campaign.LeadAgencyAssigned": _spec(keep="agency_id"),
    "rectify:Campaign.MemberAdded": _spec(keep="agency_id"),
    "rectify:Campaign.PhaseScheduled": _spec(keep="phase"),
    "rectify:CaseTransfer.Approved": _spec(keep="at sending_due", scrub="comment"),
    "rectify:CaseTransfer.Declined": _spec(keep="at", scrub="reason"),
    "rectify:CaseTransfer.DueDateRecomputed": _spec(keep="step previous due provisional calendar"),
    "rectify:CaseTransfer.Filed": _spec(keep="agency_id criminal_case_number at"),
    "rectify:CaseTransfer.Forwarded": _spec(
        keep="from_agency_id police_agency_id police_name at", scrub="reason"
    ),
    "rectify:CaseTransfer.MilestoneRecorded": _MILESTONE,
    "rectify:CaseTransfer.Received": _spec(keep="agency_id at forwarding_due decision_due"),
    "rectify:CaseTransfer.ReconsiderationAnswered": _spec(
        keep="agency_id outcome criminal_case_number at", scrub="reasons"
    ),
    "rectify:CaseTransfer.ReconsiderationRequested": _spec(
        keep="at reconsideration_due", scrub="reason"
    ),
    "rectify:CaseTransfer.Refused": _spec(
        keep="agency_id at reconsideration_request_due", scrub="reasons"
    ),
    "rectify:CaseTransfer.Reported": _spec(
        keep="agency_id agency_name police_agency_id police_name case_number suspected_offence "
        "campaign_id at approval_due",
        mask="suspect",
        scrub="facts attachments",
    ),
    "rectify:CaseTransfer.Sent": _spec(keep="at"),
    "rectify:CaseTransfer.StatutoryBreachRecorded": _spec(
        keep="key step addressee due at", scrub="label"
    ),
    "rectify:CaseTransfer.SupervisionConcluded": _spec(
        keep="procuratorate_id outcome at", scrub="opinion"
    ),
    "rectify:CaseTransfer.SupervisionRequested": _spec(
        keep="procuratorate_id procuratorate_name at", scrub="reason"
    ),
    "rectify:Clue.Concluded": _spec(scrub="outcome"),
    "rectify:Clue.Dismissed": _spec(scrub="reason"),
    "rectify:Clue.DueDateRecomputed": _RECOMPUTED,
    "rectify:Clue.HandlerChanged": _spec(
        keep="previous_agency_id handling_agency_id handling_name referral_id at", scrub="reason"
    ),
    "rectify:Clue.IdentityResealed": _spec(keep="previous_key_id", protect="sealed_identity"),
    "rectify:Clue.MergedAsDuplicate": _spec(keep="into_clue_id", scrub="note"),
    "rectify:Clue.MilestoneRecorded": _MILESTONE,
    "rectify:Clue.Received": _spec(
        keep="agency_id channel institution anonymous real_name campaign_id reply_days at "
        "reply_due",
        mask="person",
        scrub="content attachments",
        protect="sealed_identity",
    ),
    "rectify:Clue.Referred": _spec(
        keep="receiver_agency_id receiver_name referral_id", scrub="reason"
    ),
    "rectify:Clue.ReplyRecorded": _spec(keep="channel at", scrub="text"),
    "rectify:Clue.ReporterRevealed": _spec(keep="agency_id at", scrub="reason"),
    "rectify:Clue.TakenForHandling": _spec(scrub="note"),
    "rectify:ClueTerms.Created": _spec(keep="campaign_id"),
    "rectify:ClueTerms.Set": _spec(keep="reply_days"),
    "rectify:Delivery.Abandoned": _spec(scrub="reason"),
    "rectify:Delivery.AttemptFailed": _spec(keep="attempt permanent", scrub="error"),
    "rectify:Delivery.Delivered": _spec(keep="attempt", scrub="detail"),
    # an agency's webhook is kept; an e-mail address in it is scrubbed (it may be a person's)
    "rectify:Delivery.Requested": _spec(
        keep="notice_id endpoint_id agency_id channel", scrub="address subject"
    ),
    "rectify:DisciplineTransfer.Decided": _spec(keep="agency_id outcome at", scrub="detail"),
    "rectify:DisciplineTransfer.Received": _spec(keep="agency_id at"),
    "rectify:DisciplineTransfer.Sent": _spec(
        keep="agency_id agency_name commission_id commission_name category case_transfer_id "
        "campaign_id at",
        mask="person",
        scrub="facts attachments",
    ),
    "rectify:Endpoints.Created": _spec(keep="agency_id"),
    "rectify:Endpoints.EndpointAdded": _spec(
        keep="endpoint_id channel kinds", scrub="address", protect="secret"
    ),
    "rectify:Endpoints.EndpointRemoved": _spec(keep="endpoint_id"),
    "rectify:EnforcementCase.Filed": _spec(keep="agency_id number filed_on campaign_id"),
    "rectify:EscalationPolicy.LadderSet": _spec(
        keep="version rungs apply_to_running", scrub="reason"
    ),
    "rectify:EscalationPolicy.Opened": _spec(keep="campaign_id kind"),
    "rectify:Inspection.Recorded": _spec(
        keep="campaign_id institution category region agency_id on", scrub="findings"
    ),
    "rectify:Inspection.Repeated": _spec(keep="agency_id on", scrub="findings"),
    "rectify:Notice.Issued": _spec(
        keep="item_kind item_id item_version milestone_key kind rung agency_id audience at",
        scrub="title body",
    ),
    "rectify:OfficialCalendar.ArrangementLoaded": _spec(keep="year holidays working_days source"),
    "rectify:OfficialCalendar.Opened": _spec(keep="year"),
    "rectify:RectificationIssue.ClockPaused": _spec(keep="at", scrub="reason"),
    "rectify:RectificationIssue.ClockResumed": _spec(keep="at paused_at", scrub="reason"),
    "rectify:RectificationIssue.ClockScheduled": _spec(keep="due provisional policy_version rings"),
    "rectify:RectificationIssue.DueDateRecomputed": _spec(
        keep="previous due provisional policy_version rings"
    ),
    "rectify:RectificationIssue.EscalationRecorded": _spec(
        keep="key rung addressee at due deadline caught_up", scrub="label"
    ),
    "rectify:RectificationIssue.ExtensionApproved": _spec(
        keep="previous deadline", scrub="comment"
    ),
    "rectify:RectificationIssue.ExtensionDenied": _spec(scrub="reason"),
    "rectify:RectificationIssue.ExtensionRequested": _spec(keep="requested", scrub="reason"),
    "rectify:RectificationIssue.OverdueRecorded": _spec(keep="key deadline rung at due caught_up"),
    "rectify:RectificationIssue.ProgressReported": _spec(
        keep="agency_id", scrub="text attachments"
    ),
    "rectify:RectificationIssue.Registered": _spec(
        keep="campaign_id number lead_agency_id co_agency_ids deadline source",
        scrub="problem measures",
    ),
    "rectify:RectificationIssue.Rejected": _spec(scrub="reason"),
    "rectify:RectificationIssue.ReminderRecorded": _spec(keep="key deadline rung at due caught_up"),
    "rectify:RectificationIssue.Reopened": _spec(keep="deadline", scrub="reason"),
    "rectify:RectificationIssue.SignedOff": _spec(scrub="comment"),
    "rectify:RectificationIssue.SubmittedForVerification": _spec(scrub="summary"),
    "rectify:Referral.Accepted": _spec(scrub="comment"),
    "rectify:Referral.Answered": _spec(
        keep="agency_id case_number", scrub="outcome measures penalties attachments"
    ),
    "rectify:Referral.ChildUpdated": _spec(keep="child_id status rolled_up"),
    "rectify:Referral.Claimed": _spec(keep="agency_id at answer_due"),
    "rectify:Referral.DueDateRecomputed": _RECOMPUTED,
    "rectify:Referral.MilestoneRecorded": _MILESTONE,
    "rectify:Referral.Reassigned": _spec(
        keep="previous_agency_id receiver_agency_id receiver_name at claim_due", scrub="reason"
    ),
    "rectify:Referral.Returned": _spec(keep="agency_id claimed_by", scrub="reason detail"),
    "rectify:Referral.Sent": _spec(
        keep="sender_agency_id receiver_agency_id receiver_name subject_kind subject_id "
        "campaign_id parent_id children claim_days answer_days at claim_due",
        scrub="reason attachments",
    ),
    "rectify:Referral.SentBack": _spec(keep="at answer_due", scrub="reason"),
    "rectify:ReferralTerms.Created": _spec(keep="campaign_id"),
    "rectify:ReferralTerms.Set": _spec(keep="claim_days answer_days"),
    "rectify:ReportDue.MilestoneRecorded": _MILESTONE,
    "rectify:ReportDue.Opened": _spec(keep="duty_id campaign_id name period due_date agency_ids"),
    "rectify:ReportDue.Submitted": _spec(keep="agency_id", scrub="text"),
    "rectify:ReportingDuty.Changed": _spec(keep="cadence day agency_ids"),
    "rectify:ReportingDuty.Ended": _spec(),
    "rectify:ReportingDuty.Set": _spec(keep="campaign_id name cadence day agency_ids"),
}


# Value objects (dataclasses) an aggregate keeps in its state, by module and class, with
# their fields that hold a secret: the endpoints map of an agency keeps each webhook's HMAC
# key. tests/unit/test_personal_data.py asks every dataclass field of domain/ whose name
# looks like a secret's to be here or in NOT_SECRET.
SECRET_VALUE_FIELDS: dict[str, frozenset[str]] = {
    "domain.delivery.Endpoint": frozenset({"secret"}),
    # never kept in an event or a state today; classified so that it never can be shown
    "domain.reporter_identity.IdentityKeys": frozenset({"keys"}),
}

# Names that look like a secret's (they contain secret, password, token, key, credential)
# but hold none, each with the reason; any other such name must be classified PROTECT.
NOT_SECRET: dict[str, str] = {
    "key": "a milestone's idempotency key, built from public facts (kind, rung, due)",
    "milestone_key": "the idempotency key of the milestone a notice is about",
    "clock_keys": "the milestone keys already recorded",
    "previous_key_id": "the id (kid) of the identity key, not the key",
}

# Every name that holds a secret, wherever it appears: an event field, a state attribute,
# a value object's field, at any depth. `reporter` and `identity` hold a reporter's
# identity should it ever be kept unsealed.
SECRET_NAMES: frozenset[str] = frozenset(
    {
        name
        for fields in FIELDS.values()
        for name, treatment in fields.items()
        if treatment is Treatment.PROTECT
    }
    | {name for names in SECRET_VALUE_FIELDS.values() for name in names}
    | {"reporter", "identity"}
)

# A secret carried inside a URL: the password of `user:password@`, and the value of a query
# parameter such as DingTalk's `access_token=`/`sign=` or WeCom's `key=` (a webhook address
# that is itself a credential).
_URL_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/?#\s@]+@")
_URL_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:access_?token|token|api_?key|key|secret|sign|signature|password|passwd|pwd)=)"
    r"[^&#;\s]+"
)


def without_url_secrets(text: str) -> str:
    """`text` with the credentials of every URL in it replaced by 受保护 / protected."""
    if "=" not in text and "@" not in text:
        return text
    text = _URL_USERINFO.sub(rf"\g<1>{PROTECTED_IN_TEXT}@", text)
    return _URL_SECRET_PARAM.sub(rf"\g<1>{PROTECTED_IN_TEXT}", text)


def protect(value: Any) -> Any:
    """A JSON-ready value (dicts, lists, scalars) with every secret in it, at any depth,
    replaced by 受保护 / protected: the value of each key in SECRET_NAMES, and URL
    credentials in text. A secret that is None stays None (there is none to hide)."""
    if isinstance(value, str):
        return without_url_secrets(value)
    if isinstance(value, Mapping):
        return {
            key: PROTECTED if key in SECRET_NAMES and item is not None else protect(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [protect(item) for item in value]
    return value


def aggregate_of(topic: str) -> str:
    """'rectify:CaseTransfer.Reported' -> 'CaseTransfer' (the aggregate class's name)."""
    return topic.partition(":")[2].partition(".")[0]


def _state_table() -> dict[str, dict[str, Treatment]]:
    """An aggregate keeps its events' fields under the same names: an attribute is treated
    as the strictest treatment any of its events gives that name."""
    order = [Treatment.KEEP, Treatment.SCRUB, Treatment.MASK, Treatment.PROTECT]
    table: dict[str, dict[str, Treatment]] = {}
    for topic, fields in FIELDS.items():
        attributes = table.setdefault(aggregate_of(topic), {})
        for name, treatment in fields.items():
            known = attributes.get(name, Treatment.KEEP)
            attributes[name] = max(known, treatment, key=order.index)
    return table


STATE_FIELDS = _state_table()

# Mainland mobile numbers (also written 135-1234-5678 or 135 1234 5678), landlines with an
# area code, resident ID numbers (18 digits, the last may be X; the old 15-digit form too),
# in ASCII or full-width digits (１３５…, as an IME types them), not inside a longer run of
# digits or letters; and e-mail addresses.
_D = "[0-9０-９]"
_EDGE = "0-9０-９A-Za-zＡ-Ｚａ-ｚ"
_PATTERNS = re.compile(
    rf"(?<![{_EDGE}])(?:[1１][3-9３-９]{_D}[-－ ]?{_D}{{4}}[-－ ]?{_D}{{4}}"
    rf"|[0０]{_D}{{2,3}}[-－]?{_D}{{7,8}}|{_D}{{17}}[0-9０-９XxＸｘ]|{_D}{{15}})(?![{_EDGE}])"
    r"|[A-Za-z0-9._%+-]+[@＠][A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)
MIN_NAME = 2  # one character would mask every occurrence of a common surname

# How a person is written where staff name one: 陈某某（店主）, 店主陈某某, 店主：陈某某,
# 陈某某、李某 — the name alone is what free text quotes, in any of these forms.
_NOTE = re.compile(r"[（(【\[][^（）()【】\[\]]*[）)】\]]")
_SEPARATORS = re.compile(r"[、，,；;/／\s]+|及|以及")
_TITLE_WORDS = (
    "店主 老板 老板娘 负责人 法定代表人 法人代表 法人 实际控制人 经营者 业主 院长 副院长 "
    "所长 主任 医生 医师 主治医师 大夫 护士 护士长 药师 药剂师 村医 乡医 经理 总经理 股东 "
    "员工 职工 工作人员 收费员 会计 出纳 推销员 医药代表 中介 护工 技师 科长 局长 站长 "
    "先生 女士 同志 嫌疑人 当事人 被举报人"
)
TITLES = sorted(_TITLE_WORDS.split(), key=len, reverse=True)
# Surnames common enough to be written with 某某 (陈某某, 欧阳某): a name anonymised by hand
# is still the person's, and free text quotes it. Characters that also make everyday words
# before 某 (于某日, 向某医院, 和某人) are left out.
_SURNAME_WORDS = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 "
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 "
    "彭 曾 肖 田 董 袁 潘 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 "
    "石 廖 贾 夏 韦 付 傅 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 "
    "邵 万 钱 严 覃 武 戴 莫 孔 汤 温 康 施 牛 樊 葛 邢 齐 易 乔 伍 庞 颜 倪 庄 聂 章 鲁 岳 "
    "翟 殷 詹 申 欧 耿 兰 焦 俞 左 柳 祝 尚 符 舒 阮 柯 纪 梅 童 凌 毕 季 裴 霍 涂 苗 谷 盛 "
    "翁 冉 骆 蓝 游 辛 靳 柴 蒙 鲍 喻 祁 蒲 房 滕 屈 饶 牟 艾 尤 穆 卓 缪 麦 褚 娄 窦 戚 岑 "
    "景 党 宫 费 卜 冷 晏 席 卫 米 柏 宗 瞿 桂 佟 臧 闵 苟 邬 边 卞 姬 仇 栾 隋 刁 巫 寇 "
    "桑 郎 甄 丛 仲 虞 敖 巩 佘 池 苑 迟 邝"
)
_ANONYMISED = re.compile(f"(?:{'|'.join(_SURNAME_WORDS.split())})某{{1,2}}")


def name_forms(value: str) -> set[str]:
    """Every form of the person (or persons) `value` names that free text may quote: the
    value as written, and each name without its bracketed note, label or title
    (陈某某（店主） → 陈某某; 店主陈大明 → 陈大明), at least MIN_NAME characters long."""
    forms = {value.strip()}
    for part in _SEPARATORS.split(_NOTE.sub(" ", value)):
        part = part.rpartition("：")[2].rpartition(":")[2].strip()
        forms.add(part)
        forms.update(_ANONYMISED.findall(part))
        stripped = True
        while stripped:
            stripped = False
            for title in TITLES:
                if part.startswith(title) and len(part) > len(title):
                    part, stripped = part[len(title) :], True
                elif part.endswith(title) and len(part) > len(title):
                    part, stripped = part[: -len(title)], True
        forms.add(part)
    return {form for form in forms if len(form) >= MIN_NAME and form not in TITLES}


def scrub_text(text: str, names: list[str]) -> str:
    """`text` without phone, ID numbers, e-mail addresses, surnames written with 某, and
    `names` (longest first, so 张三丰 goes before 张三)."""
    text = _PATTERNS.sub(SCRUBBED, text)
    for name in names:
        text = text.replace(name, SCRUBBED)
    return _ANONYMISED.sub(SCRUBBED, text)


class Masker:
    """Masks events and states for an export. It remembers the masked values (names) it
    has seen per item, so that free text of the same item — or of a notice or referral
    naming the item's id — loses them too. The whole log is in log order, so an item's
    creation, where its names are, comes before the events that might quote them."""

    def __init__(self) -> None:
        self.known: dict[str, set[str]] = {}

    def remember(
        self, item: str, fields: Mapping[str, Any], table: Mapping[str, Treatment]
    ) -> None:
        for name, value in fields.items():
            if table.get(name) is Treatment.MASK and isinstance(value, str):
                self.known.setdefault(item, set()).update(name_forms(value))

    def remember_person(self, item: str, *values: str) -> None:
        """Values naming a person no masked field shows (a reporter's unsealed identity),
        so that the item's free text loses them too."""
        for value in values:
            self.known.setdefault(item, set()).update(name_forms(value))

    def _names(self, item: str, fields: Mapping[str, Any]) -> list[str]:
        related = {item} | {v for v in fields.values() if isinstance(v, str) and v in self.known}
        names = set().union(*(self.known.get(r, set()) for r in related))
        return sorted(names, key=len, reverse=True)  # longer first: 张三丰 before 张三

    def _scrub(self, value: Any, names: list[str]) -> Any:
        if isinstance(value, str):
            return scrub_text(value, names)
        if isinstance(value, list):
            return [self._scrub(v, names) for v in value]
        if isinstance(value, dict):
            return {k: self._scrub(v, names) for k, v in value.items()}
        return value

    def _apply(
        self, item: str, fields: Mapping[str, Any], table: Mapping[str, Treatment]
    ) -> dict[str, Any]:
        self.remember(item, fields, table)
        names = self._names(item, fields)
        if names:  # a referral about a clue keeps its names for its own later answer
            self.known.setdefault(item, set()).update(names)
        out: dict[str, Any] = {}
        for name, value in fields.items():
            treatment = table.get(name, COMMON.get(name, Treatment.SCRUB))
            if name in SECRET_NAMES and treatment is not Treatment.MASK:
                treatment = Treatment.PROTECT  # a secret stays one whatever a table says
            if value is None or value == "":
                out[name] = value
            elif treatment is Treatment.KEEP:
                out[name] = protect(value)
            elif treatment is Treatment.MASK:
                out[name] = MASKED
            elif treatment is Treatment.PROTECT:
                out[name] = PROTECTED
            else:
                out[name] = self._scrub(protect(value), names)
        return out

    def payload(self, item: str, topic: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """An event's payload (already JSON-ready). A topic missing from the table (an
        event type added without classifying it) is scrubbed field by field rather than
        let through."""
        return self._apply(item, payload, FIELDS.get(topic, {}))

    def state(self, item: str, aggregate: str, state: Mapping[str, Any]) -> dict[str, Any]:
        """An item's state (domain.audit_trail.public_state) of aggregate class `aggregate`;
        the envelope (id, type, version, times) is kept."""
        table = {
            **{k: Treatment.KEEP for k in ("id", "type", "version", "created_on", "modified_on")},
            **STATE_FIELDS.get(aggregate, {}),
        }
        return self._apply(item, state, table)

    def value(self, item: str, aggregate: str, field: str, value: Any) -> Any:
        """One attribute of an item's state, as `state` would show it."""
        return self.state(item, aggregate, {field: value})[field]
