"""Evidence files (整改佐证材料) as events name them: `sha256:<64 hex digits>` in an
`attachments` list, next to the plain reference strings older events hold ("现场照片.jpg").

The file itself lives outside the log (projections/files.py); the event carries its
digest, so the hash chain covers the file's content: a file swapped in the store no longer
matches the digest every export and download is checked against.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.errors import InvalidInput, InvalidTransition
from domain.messages import says

PREFIX = "sha256:"
_REFERENCE = re.compile(r"sha256:[0-9a-f]{64}")


def is_file_reference(attachment: str) -> bool:
    """Whether `attachment` names an uploaded file (else it is a plain reference string)."""
    return attachment.startswith(PREFIX)


def digest_of(attachment: str, field: str = "attachments") -> str:
    """The hex digest a `sha256:` reference names; a malformed one is refused."""
    if not _REFERENCE.fullmatch(attachment):
        raise InvalidInput(
            field,
            says("bad_file_reference", given=repr(attachment[:80])),
        )
    return attachment.removeprefix(PREFIX)


def file_digests(attachments: Iterable[str], field: str = "attachments") -> list[str]:
    """The digests of the uploaded files among `attachments`, in order, each once."""
    found: list[str] = []
    for attachment in attachments:
        if is_file_reference(attachment.strip()):
            digest = digest_of(attachment.strip(), field)
            if digest not in found:
                found.append(digest)
    return found


def stored_digests(attachments: Iterable[object]) -> list[str]:
    """The digests of the well-formed references among what an event holds: older events
    may hold any plain string, even one that happens to begin with "sha256:"."""
    found: list[str] = []
    for attachment in attachments:
        if isinstance(attachment, str) and _REFERENCE.fullmatch(attachment.strip()):
            digest = attachment.strip().removeprefix(PREFIX)
            if digest not in found:
                found.append(digest)
    return found


class EvidenceRequired(InvalidTransition):
    """The campaign asks for an uploaded file before an issue is signed off."""

    MESSAGE = says("evidence_required")

    def __init__(self, current_state: str) -> None:
        super().__init__("sign off", current_state)
        self.args = (self.MESSAGE,)

    def __str__(self) -> str:
        return self.MESSAGE
