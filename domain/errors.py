"""Domain errors. Each one carries what a user needs to understand the refusal."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every refusal raised by the domain."""

    code = "DOMAIN_ERROR"


class InvalidTransition(DomainError):
    """A command that the item's current state does not allow."""

    code = "INVALID_TRANSITION"

    def __init__(self, action: str, current_state: str, detail: str = "") -> None:
        self.action = action
        self.current_state = current_state
        self.detail = detail
        message = f"cannot {action} while the issue is {current_state}"
        if detail:
            message += f": {detail}"
        super().__init__(message)


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

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} not found: {key}")


class UnknownAgencies(DomainError):
    """Names that match no agency or alias."""

    code = "UNKNOWN_AGENCIES"

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__("unknown agencies: " + "、".join(names))


class Conflict(DomainError):
    """The item changed under us more often than we were willing to retry."""

    code = "CONFLICT"
