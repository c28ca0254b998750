"""Domain errors. Each one carries what a user needs to understand the refusal, in the
words of domain/messages.py: Chinese first, then English."""

from __future__ import annotations

from domain.messages import ACTIONS, KINDS, STATES, halves, joined, label, says


class DomainError(Exception):
    """Base class of every refusal raised by the domain."""

    code = "DOMAIN_ERROR"


class InvalidTransition(DomainError):
    """A command that the item's current state does not allow; names the state in both
    languages. With a `detail` (a message of domain/messages.py) the detail is the reason
    and the state only its context: "不能答复举报人：已答复过举报人（…当前为已移送）", not
    "已移送状态下不能答复举报人"."""

    code = "INVALID_TRANSITION"

    def __init__(
        self,
        action: str,
        current_state: str,
        detail: str = "",
        *,
        kind: str = "issue",
        state_label: str = "",
        action_label: str = "",
    ) -> None:
        self.action = action
        self.current_state = current_state
        self.detail = detail
        values = {
            "action": action,
            "action_label": action_label or label(ACTIONS, action),
            "state": current_state,
            "state_label": state_label or label(STATES.get(kind, {}), current_state),
            "kind": kind,
            "kind_label": label(KINDS, kind),
        }
        if detail:
            values["detail_label"], values["detail"] = halves(detail)
            super().__init__(says("refused_because", **values))
        else:
            super().__init__(says("not_in_state", **values))


class InvalidInput(DomainError):
    """A value that cannot be accepted; names the field."""

    code = "INVALID_INPUT"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class NotAllowed(DomainError):
    """The acting agency may not do this to that item (e.g. another agency's clue)."""

    code = "NOT_ALLOWED"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class NotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, kind: str, key: str, detail: str = "") -> None:
        self.kind = kind
        self.key = key
        message = says("not_found", kind=kind, kind_label=label(KINDS, kind), key=key)
        super().__init__(joined(message, detail) if detail else message)


class UnknownAgencies(DomainError):
    """Names that match no agency or alias."""

    code = "UNKNOWN_AGENCIES"

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(says("unknown_agencies", names="、".join(names)))


class Conflict(DomainError):
    """The item changed under us more often than we were willing to retry."""

    code = "CONFLICT"

    @classmethod
    def kept_changing(cls, kind: str, key: object) -> Conflict:
        return cls(says("kept_changing", kind=kind, kind_label=label(KINDS, kind), key=key))
