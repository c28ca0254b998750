"""Text given on the command line, checked by domain.text_rules before a command runs.

A lone surrogate (what Python makes of a file name or argument that is not UTF-8) or a
control character in an agency's alias or a campaign's title would be stored in an event
and stop every read model that projects it. Each command names its text parameters with
`callback=name_text` (names, titles, keys) or `callback=free_text` (reports, reasons), and
a refusal names the option, as a usage error (exit status 2): `--alias: 含有空字符…`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

import typer

from domain.text_rules import MAX_NAME, MAX_TEXT, list_problem, text_problem


class BadText(typer.BadParameter):
    """Shown as "--alias: 含有…", not with click's English "Invalid value for" in front."""

    def format_message(self) -> str:
        return self.message


def _checked(limit: int) -> Callable[[typer.CallbackParam, object], object]:
    def check(param: typer.CallbackParam, value: object) -> object:
        texts = list(value) if isinstance(value, (list, tuple)) else [value]
        # of a file, its name is what is stored (an import's source)
        texts = [t.name if isinstance(t, PurePath) else t for t in texts]
        problems = [text_problem(t, limit) for t in texts if isinstance(t, str)]
        if isinstance(value, (list, tuple)):
            problems.append(list_problem(texts))  # --alias given 201 times
        for problem in problems:
            if problem is not None:
                named = param.opts[0] if param.param_type_name == "option" else param.name
                # typer types `param` as its own parameter class, not the CallbackParam it hands us
                raise BadText(f"{named}: {problem}", param=param)  # type: ignore[arg-type]
        return value

    return check


name_text = _checked(MAX_NAME)  # a name, title, number, key or address
free_text = _checked(MAX_TEXT)  # a report, a reason
