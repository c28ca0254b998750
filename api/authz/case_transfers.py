"""Who may take which step of a case transfer, in one table, checked in one place.

Each step belongs to one party of the transfer: the transferring administrative agency,
the police agency now in charge, the procuratorate asked to supervise, or the discipline
inspection commission. Only that agency's own staff (liaison, investigator, head) may take
it, and the head alone approves or declines a transfer. Coordinators, leadership and
auditors read every transfer; agency staff read the transfers their agency is party to
(`READ`). Everyone acts only for the agency of their token.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from api.auth import Role, User
from api.authz.core import OVERSIGHT, ROLE_LABELS, STAFF, NotAllowedError, Rules, Scope, own_agency


class Party(StrEnum):
    AGENCY = "移送机关"  # the transferring administrative agency
    POLICE = "公安机关"
    PROCURATORATE = "人民检察院"
    COMMISSION = "纪检监察机关"


class Step(StrEnum):
    REPORT = "report a transfer"
    APPROVE = "approve"
    DECLINE = "decline"
    SEND = "send"
    REQUEST_RECONSIDERATION = "request reconsideration"
    REQUEST_SUPERVISION = "request supervision"
    RECEIVE = "receive"
    FORWARD = "forward"
    FILE = "file"
    REFUSE = "refuse"
    ANSWER_RECONSIDERATION = "answer reconsideration"
    CONCLUDE_SUPERVISION = "record the supervision outcome"
    SEND_TO_DISCIPLINE = "transfer to discipline inspection"
    RECEIVE_DISCIPLINE = "receive a discipline transfer"
    DECIDE_DISCIPLINE = "decide on a discipline transfer"


LABELS = {
    Step.REPORT: "报告移送",
    Step.APPROVE: "批准移送",
    Step.DECLINE: "不批准移送",
    Step.SEND: "移送",
    Step.REQUEST_RECONSIDERATION: "提请复议",
    Step.REQUEST_SUPERVISION: "建议立案监督",
    Step.RECEIVE: "接收",
    Step.FORWARD: "移送有管辖权的公安机关",
    Step.FILE: "立案",
    Step.REFUSE: "不予立案",
    Step.ANSWER_RECONSIDERATION: "作出复议决定",
    Step.CONCLUDE_SUPERVISION: "记录立案监督结果",
    Step.SEND_TO_DISCIPLINE: "移送纪检监察机关",
    Step.RECEIVE_DISCIPLINE: "接收",
    Step.DECIDE_DISCIPLINE: "作出处置决定",
}

HEAD = frozenset({Role.AGENCY_HEAD})
READ_ALL = OVERSIGHT
# Reads: the oversight roles every transfer, agency staff those their agency is party to.
READ: Rules = {**{role: Scope.ANY for role in READ_ALL}, **{role: Scope.PARTY for role in STAFF}}

RULES: dict[Step, tuple[Party, frozenset[Role]]] = {
    Step.REPORT: (Party.AGENCY, STAFF),
    Step.APPROVE: (Party.AGENCY, HEAD),
    Step.DECLINE: (Party.AGENCY, HEAD),
    Step.SEND: (Party.AGENCY, STAFF),
    Step.REQUEST_RECONSIDERATION: (Party.AGENCY, STAFF),
    Step.REQUEST_SUPERVISION: (Party.AGENCY, STAFF),
    Step.RECEIVE: (Party.POLICE, STAFF),
    Step.FORWARD: (Party.POLICE, STAFF),
    Step.FILE: (Party.POLICE, STAFF),
    Step.REFUSE: (Party.POLICE, STAFF),
    Step.ANSWER_RECONSIDERATION: (Party.POLICE, STAFF),
    Step.CONCLUDE_SUPERVISION: (Party.PROCURATORATE, STAFF),
    Step.SEND_TO_DISCIPLINE: (Party.AGENCY, STAFF),
    Step.RECEIVE_DISCIPLINE: (Party.COMMISSION, STAFF),
    Step.DECIDE_DISCIPLINE: (Party.COMMISSION, STAFF),
}


def authorize_step(user: User, step: Step, party: UUID | None, party_name: str) -> UUID:
    """The agency `user` acts for, if it may take `step` for `party`; else NotAllowedError.

    `party` is the agency the step belongs to (None when reporting: the caller's own).
    """
    belongs_to, roles = RULES[step]
    label = LABELS[step]
    if user.role not in roles:
        who = "、".join(ROLE_LABELS[r] for r in sorted(roles, key=lambda r: r.value))
        raise NotAllowedError(
            f"{ROLE_LABELS[user.role]}无权{label}，须为{belongs_to.value}的{who} / "
            f"role {user.role.value} may not {step.value}"
        )
    own = own_agency(user)
    if own is None:
        raise NotAllowedError("令牌未关联单位 / the caller speaks for no agency")
    if party is not None and own != party:
        raise NotAllowedError(
            f"仅{belongs_to.value}{party_name}可以{label} / "
            f"only {party_name} ({belongs_to.name.lower()}) may {step.value}"
        )
    return own


def reads_all(user: User) -> bool:
    """Whether `user` reads every agency's transfers (else only its own agency's)."""
    return READ.get(user.role) is Scope.ANY


def may_read(user: User, row: Any) -> bool:
    """Coordinators, leadership, auditors and admins read all; staff their agency's."""
    if reads_all(user):
        return True
    own = own_agency(user)
    return own is not None and (
        own == row["agency_id"] or own in row["receiver_ids"] or own == row["procuratorate_id"]
    )
