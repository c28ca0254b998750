"""What text and lists the system accepts from people, at every edge (GraphQL, CLI, import).

PostgreSQL text cannot hold NUL (one such character in an event stopped every read model),
a lone surrogate cannot be encoded as UTF-8 at all, and the other C0 control characters
break spreadsheets and XML exports made from the text later. So they are refused where
they come in, naming the field, and never reach the event log. Lengths are bounded so
that one request cannot fill a page, a row or the log with a novel.
"""

from __future__ import annotations

import re
from collections.abc import Sized

from domain.errors import InvalidInput

MAX_TEXT = 20_000  # characters of one free text: a problem, a reason, a report
MAX_NAME = 500  # characters of a name, a number, a key or an attachment reference
MAX_ITEMS = 200  # entries of one list: measures, attachments, co-responsible agencies

# C0 controls but tab, line feed and carriage return; and any lone surrogate
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|[\ud800-\udfff]")


def text_problem(value: str, limit: int = MAX_TEXT) -> str | None:
    """What is wrong with `value` as text, in Chinese and English; None when nothing is."""
    found = _FORBIDDEN.search(value)
    if found is not None:
        char = found.group()
        code = f"U+{ord(char):04X}"
        if char == "\x00":
            return f"含有空字符（{code}），请删除后重试 / contains a NUL character ({code})"
        if "\ud800" <= char <= "\udfff":
            return (
                f"含有无效字符（孤立代理项 {code}） / contains an invalid character "
                f"(lone surrogate {code})"
            )
        return f"含有控制字符（{code}） / contains a control character ({code})"
    if len(value) > limit:
        return f"超过 {limit} 个字符上限（{len(value)} 个） / longer than {limit} characters"
    return None


def list_problem(values: Sized, limit: int = MAX_ITEMS) -> str | None:
    if len(values) > limit:
        return f"超过 {limit} 项上限（{len(values)} 项） / more than {limit} entries"
    return None


def check_text(field: str, value: str, limit: int = MAX_TEXT) -> str:
    """`value`, or InvalidInput naming `field`."""
    problem = text_problem(value, limit)
    if problem is not None:
        raise InvalidInput(field, problem)
    return value


def check_list(field: str, values: Sized, limit: int = MAX_ITEMS) -> None:
    problem = list_problem(values, limit)
    if problem is not None:
        raise InvalidInput(field, problem)
