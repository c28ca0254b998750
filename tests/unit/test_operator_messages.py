"""What an operator is told when a process cannot start (rectify/supervisor.py,
rectify/embedded.py, rectify/runtime.py, api/persisted.py): Chinese first, then English,
like every refusal (domain/messages.py)."""

from __future__ import annotations

import ast
import json
import socket
from pathlib import Path

import pytest

from api.persisted import load_allow_list
from rectify.embedded import find_binary
from rectify.supervisor import start_temporal_dev_server, wait_for_port
from tests.unit.test_refusal_messages import assert_bilingual

ROOT = Path(__file__).parents[2]
MODULES = ["rectify/supervisor.py", "rectify/embedded.py", "rectify/runtime.py", "api/persisted.py"]
LOGGED = {"error", "warning"}


def _text(node: ast.expr) -> str | None:
    """A message written in place: a string, an f-string (its values as {}), or those
    joined with +; None for anything else (a variable, a call)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(part) or "{}" for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None or right is None else left + right
    return None


def _messages(source: str) -> list[str]:
    """Messages of what is raised, and of errors and warnings logged, written in place."""
    found = []
    for node in ast.walk(ast.parse(source)):
        call = node.exc if isinstance(node, ast.Raise) else node
        if not isinstance(call, ast.Call) or not call.args:
            continue
        logged = isinstance(call.func, ast.Attribute) and call.func.attr in LOGGED
        raised = isinstance(node, ast.Raise)
        text = _text(call.args[0]) if raised or logged else None
        if text is not None:
            found.append(text)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_every_start_up_error_written_in_the_module_is_chinese_then_english(module: str) -> None:
    messages = _messages((ROOT / module).read_text(encoding="utf-8"))
    for message in messages:
        assert_bilingual(message)


def test_the_scan_finds_raised_and_logged_messages() -> None:
    source = 'raise ValueError(f"bad {x}")\nlog.error("gone " + "away")\nlog.info("fine")\n'
    assert _messages(source) == ["bad {}", "gone away"]


def test_a_missing_binary_is_named_in_both_languages() -> None:
    with pytest.raises(FileNotFoundError) as missing:
        find_binary("no-such-rectify-binary")
    assert_bilingual(str(missing.value))
    assert "no-such-rectify-binary" in str(missing.value)


def test_a_port_nothing_opens_is_reported_in_both_languages() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(TimeoutError) as waited:
        wait_for_port("127.0.0.1", port, 0.2)
    assert_bilingual(str(waited.value))


def test_a_taken_temporal_port_is_reported_in_both_languages(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(RuntimeError) as refused:
            start_temporal_dev_server(tmp_path, taken.getsockname()[1])
    assert_bilingual(str(refused.value))
    assert "TEMPORAL_ADDRESS" in str(refused.value)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("not json", "不是有效的 JSON"),
        ("[]", "须为一个 JSON 对象"),
        (json.dumps({"0" * 64: "{ me { role } }"}), "不是其文档的 sha256"),
    ],
)
def test_a_wrong_allow_list_file_is_refused_in_both_languages(
    tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "allowed.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        load_allow_list(str(path))
    assert words in str(refused.value)
    assert_bilingual(str(refused.value))
    assert str(refused.value).startswith("RECTIFY_PERSISTED_QUERIES")


def test_a_missing_allow_list_file_is_refused_in_both_languages(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as refused:
        load_allow_list(str(tmp_path / "missing.json"))
    assert_bilingual(str(refused.value))
