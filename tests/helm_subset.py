"""A deliberately small renderer of Helm's Go templates, for testing deploy/helm/rectify
offline where no `helm` binary can be installed (docs/decisions/0055).

It knows only what the chart uses, and refuses anything else loudly (RenderError), so a
template that outgrows it fails the test instead of rendering wrong:
- actions `{{ … }}` with `{{-` / `-}}` trimming, and `{{/* comments */}}`;
- `if` / `else` / `end`, `range $k, $v := …` / `range $v := …` / `range …`;
- one level of parentheses: `(and $a $b)`;
- values: `.Values.a.b`, `.Release.Name`, `.Release.Namespace`, `.Chart.Name`,
  `.Chart.Version`, `.Chart.AppVersion`, `$` and `$var.a.b`, `.` and `.a` (the dot),
  "strings", integers, true/false;
- functions, called or piped: quote, toYaml, nindent, indent, default, printf (%s, %d),
  eq, ne, and, or, not, list, has (value, list).
A missing value printed is an error (Helm would print nothing): a misspelt key fails.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
RANGE = re.compile(r"range\s+(?:(\$\w+)\s*(?:,\s*(\$\w+))?\s*:=\s*)?(.+)", re.S)
MISSING = object()


class RenderError(Exception):
    pass


@dataclass
class Node:
    kind: str  # text | out | if | range
    value: str = ""
    body: list[Node] = field(default_factory=list)
    other: list[Node] = field(default_factory=list)


def _tokens(source: str) -> list[tuple[str, str]]:
    """("text", …) and ("act", …) pieces, with the trim markers applied to the text."""
    pieces: list[tuple[str, str]] = []
    trim_next = False
    at = 0
    for match in ACTION.finditer(source):
        text = source[at : match.start()]
        if trim_next:
            text = text.lstrip()
        if match.group(1):
            text = text.rstrip()
        pieces.append(("text", text))
        body = match.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            pieces.append(("act", body))
        trim_next = bool(match.group(3))
        at = match.end()
    tail = source[at:]
    pieces.append(("text", tail.lstrip() if trim_next else tail))
    if "{{" in "".join(text for kind, text in pieces if kind == "text"):
        raise RenderError("an action the renderer cannot read (missing }} or space after -)")
    return pieces


def _parse(pieces: list[tuple[str, str]]) -> list[Node]:
    root: list[Node] = []
    stack: list[tuple[Node | None, list[Node]]] = [(None, root)]
    for kind, text in pieces:
        target = stack[-1][1]
        if kind == "text":
            if text:
                target.append(Node("text", text))
        elif text.startswith("if "):
            node = Node("if", text[3:])
            target.append(node)
            stack.append((node, node.body))
        elif text.startswith("range "):
            node = Node("range", text)
            target.append(node)
            stack.append((node, node.body))
        elif text == "else":
            open_node = stack[-1][0]
            if open_node is None or open_node.kind != "if":
                raise RenderError("else outside an if")
            stack[-1] = (open_node, open_node.other)
        elif text == "end":
            if len(stack) == 1:
                raise RenderError("end without a block")
            stack.pop()
        elif re.match(r"(else\s+if|with|define|template|include|block|tpl)\b", text):
            raise RenderError(f"not supported by this renderer: {text!r}")
        else:
            target.append(Node("out", text))
    if len(stack) != 1:
        raise RenderError("a block is not closed with end")
    return root


def _to_yaml(value: Any) -> str:
    if value is None or value is MISSING:
        return "null"
    dumped: str = yaml.safe_dump(value, default_flow_style=False, sort_keys=True)
    return dumped.rstrip("\n")


def _text(value: Any) -> str:
    if value is MISSING or value is None:
        raise RenderError("a missing value is printed")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise RenderError("a map or list printed without toYaml")
    return str(value)


def _printf(form: str, *args: Any) -> str:
    values = iter(args)
    return re.sub(r"%[sd]", lambda _: _text(next(values)), form)


def _truth(value: Any) -> bool:
    return value is not MISSING and bool(value)


def _default(fallback: Any, value: Any = MISSING) -> Any:
    return value if _truth(value) else fallback


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "quote": lambda value: json.dumps(_text(value), ensure_ascii=False),
    "toYaml": _to_yaml,
    "nindent": lambda n, text: "\n" + "\n".join(" " * n + line for line in text.split("\n")),
    "indent": lambda n, text: "\n".join(" " * n + line for line in text.split("\n")),
    "default": _default,
    "printf": _printf,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "and": lambda *values: all(_truth(v) for v in values),
    "or": lambda *values: any(_truth(v) for v in values),
    "not": lambda value: not _truth(value),
    "has": lambda value, values: value in values,
    "list": lambda *values: list(values),
}


@dataclass
class Scope:
    dot: Any
    variables: dict[str, Any]


def _lookup(start: Any, path: str) -> Any:
    value = start
    for key in [part for part in path.split(".") if part]:
        if not isinstance(value, Mapping):
            return MISSING
        value = value.get(key, MISSING)
    return value


def _term(word: str, scope: Scope) -> Any:
    if word.startswith('"'):
        return shlex.split(word)[0]
    if word.startswith("("):
        return _evaluate(word[1:-1], scope)
    if re.fullmatch(r"-?\d+", word):
        return int(word)
    if word in ("true", "false"):
        return word == "true"
    if word.startswith("$"):
        name, _, path = word.partition(".")
        if name not in scope.variables:
            raise RenderError(f"unknown variable {name}")
        return _lookup(scope.variables[name], path)
    if word.startswith("."):
        return _lookup(scope.dot, word)
    raise RenderError(f"not a value: {word!r}")


WORD = re.compile(r'"(?:\\.|[^"\\])*"|\((?:[^()"]|"(?:\\.|[^"\\])*")*\)|[^\s()]+')


def _words(command: str) -> list[str]:
    words = WORD.findall(command)
    if WORD.sub("", command).strip():
        raise RenderError(f"cannot read {command!r} (nested parentheses?)")
    return words


def _evaluate(pipeline: str, scope: Scope) -> Any:
    value: Any = MISSING
    for number, command in enumerate(part.strip() for part in pipeline.split("|")):
        words = _words(command)
        if not words:
            raise RenderError(f"an empty command in {pipeline!r}")
        head, args = words[0], [_term(w, scope) for w in words[1:]]
        if number:
            args.append(value)
        if head in FUNCTIONS:
            value = FUNCTIONS[head](*args)
        elif head[0] in '.$"' or head[0].isdigit() or head in ("true", "false"):
            if args:
                raise RenderError(f"a value cannot take arguments: {command!r}")
            value = _term(head, scope)
        else:
            raise RenderError(f"function not supported by this renderer: {head}")
    return value


def _run(nodes: list[Node], scope: Scope, out: list[str]) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.value)
        elif node.kind == "out":
            out.append(_text(_evaluate(node.value, scope)))
        elif node.kind == "if":
            chosen = node.body if _truth(_evaluate(node.value, scope)) else node.other
            _run(chosen, scope, out)
        else:
            _range(node, scope, out)


def _range(node: Node, scope: Scope, out: list[str]) -> None:
    match = RANGE.fullmatch(node.value)
    if match is None:
        raise RenderError(f"cannot read {node.value!r}")
    first, second, pipeline = match.groups()
    collection = _evaluate(pipeline, scope)
    if collection is MISSING or collection is None:
        return
    if isinstance(collection, Mapping):
        items = [(key, collection[key]) for key in sorted(collection)]  # Go sorts map keys
    elif isinstance(collection, list):
        items = list(enumerate(collection))
    else:
        raise RenderError(f"range over neither a map nor a list: {pipeline!r}")
    for key, item in items:
        variables = dict(scope.variables)
        if first and second:
            variables[first], variables[second] = key, item
        elif first:
            variables[first] = item
        _run(node.body, Scope(item, variables), out)


def render(source: str, values: Mapping[str, Any], chart: Mapping[str, Any]) -> str:
    """One template rendered with these values and Chart.yaml, release "rectify"."""
    top = {
        "Values": values,
        "Release": {"Name": "rectify", "Namespace": "rectify"},
        "Chart": {
            "Name": chart["name"],
            "Version": chart["version"],
            "AppVersion": chart.get("appVersion", ""),
        },
    }
    out: list[str] = []
    _run(_parse(_tokens(source)), Scope(top, {"$": top}), out)
    return "".join(out)
