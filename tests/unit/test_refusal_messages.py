"""No refusal lacks either language (domain/messages.py): every catalogue entry, every
raise site in domain/, and the refusals the aggregates actually give when driven through
commands their state or their input does not allow."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from domain import errors
from domain.case_transfers import STATUS_LABELS as TRANSFER_STATES
from domain.case_transfers import TransferRefused, TransferStatus
from domain.clocks import TIMEZONE
from domain.clues import ACTION_LABELS as CLUE_ACTIONS
from domain.clues import ClueRefused, ClueStatus
from domain.deadlines import Deadline, DeadlineParseError, parse_deadline
from domain.discipline_transfers import DisciplineRefused, DisciplineStatus
from domain.issues import RectificationIssue
from domain.messages import ACTIONS, KINDS, MESSAGES, SEPARATOR, STATES, halves, says
from domain.referrals import ACTION_LABELS as REFERRAL_ACTIONS
from domain.referrals import ReferralRefused, ReferralStatus
from tests.unit import test_clue_lifecycle as clues
from tests.unit import test_referral_lifecycle as referrals

DOMAIN = Path(__file__).parents[2] / "domain"
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")


def assert_bilingual(message: str) -> None:
    """Chinese first, then " / ", then English."""
    chinese, english = halves(message)
    assert CJK.search(chinese), f"no Chinese before ' / ': {message!r}"
    assert LATIN.search(english), f"no English after ' / ': {message!r}"


# -- the catalogue ---------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_catalogue_entry_is_chinese_then_english(key: str) -> None:
    names = [name for _, name, _, _ in string.Formatter().parse(MESSAGES[key]) if name]
    assert_bilingual(says(key, **dict.fromkeys(names, "x")))


def test_every_kind_state_and_step_has_a_chinese_label() -> None:
    for labels in (KINDS, ACTIONS, *STATES.values()):
        for english, chinese in labels.items():
            assert CJK.search(chinese) and not CJK.search(english), (english, chinese)


# -- every raise site in domain/ -------------------------------------------------------

# Where each refusal takes its words: that argument must come from the catalogue (a call
# of `says`, or a variable holding one), never text written at the raise site.
MESSAGE_ARGUMENT = {
    "InvalidInput": 1,
    "ArrangementInvalid": None,
    "NotAllowed": 0,
    "Conflict": 0,
    "KeyConfigurationError": 0,
    "NoCalendarData": 1,
    "DeadlineParseError": 1,
    "NotFound": 2,
    "InvalidTransition": 2,
    "ClueRefused": 2,
    "ReferralRefused": 2,
    "TransferRefused": 2,
}


def _refusals() -> Iterator[tuple[str, ast.Call]]:
    """Every refusal made in domain/: raised, or collected to be raised together."""
    for path in sorted(DOMAIN.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                yield f"{path.relative_to(DOMAIN.parent)}:{node.lineno}", node.exc
            elif isinstance(node, ast.Call) and _name(node) in MESSAGE_ARGUMENT:
                yield f"{path.relative_to(DOMAIN.parent)}:{node.lineno}", node


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _written_here(node: ast.expr) -> bool:
    """Text written at the raise site: a literal, an f-string, or text glued to them."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value != ""
    if isinstance(node, ast.BinOp):
        return _written_here(node.left) or _written_here(node.right)
    return False


def test_no_refusal_in_domain_is_written_at_its_raise_site() -> None:
    written = []
    for where, call in _refusals():
        position = MESSAGE_ARGUMENT.get(_name(call))
        arguments = call.args
        if (
            position is not None
            and position < len(arguments)
            and _written_here(arguments[position])
        ):
            written.append(f"{where}: {ast.unparse(call)}")
        # Any other text of a refusal (a field, a step, a kind) is a short English name.
        for argument in call.args:
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                assert not CJK.search(argument.value), f"{where}: {ast.unparse(call)}"
    assert written == []


def test_no_problem_of_a_ledger_import_is_written_where_it_is_found() -> None:
    """The problems a refused import lists, row by row (domain/ledger_rows.py and the file
    readers of rectify/)."""
    written = []
    for path in [*sorted(DOMAIN.rglob("*.py")), *sorted(DOMAIN.parent.glob("rectify/ledger*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node) == "RowProblem" and len(node.args) > 2:
                message = node.args[2]
                chinese_and_english = isinstance(message, ast.JoinedStr | ast.Constant) and (
                    SEPARATOR in ast.unparse(message) and CJK.search(ast.unparse(message))
                )
                if _written_here(message) and not chinese_and_english:
                    written.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert written == []


def test_every_message_the_domain_asks_for_is_in_the_catalogue() -> None:
    asked = set()
    for path in sorted(DOMAIN.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "says":
                key = node.args[0]
                assert isinstance(key, ast.Constant), f"{path}:{node.lineno}"
                asked.add(key.value)
    assert asked and asked <= set(MESSAGES), asked - set(MESSAGES)


# -- refusals as the aggregates give them ----------------------------------------------


@pytest.mark.parametrize(("kind", "states"), sorted(STATES.items()))
def test_a_refused_step_names_the_state_in_both_languages(
    kind: str, states: dict[str, str]
) -> None:
    for state, label in states.items():
        for action in ACTIONS:
            message = str(errors.InvalidTransition(action, state, kind=kind))
            assert_bilingual(message)
            assert label in halves(message)[0] and state in halves(message)[1]


def test_every_state_refusal_of_clues_referrals_and_transfers_is_bilingual() -> None:
    for clue_state in ClueStatus:
        for action in CLUE_ACTIONS:
            assert_bilingual(str(ClueRefused(action, clue_state, says("triage_first"))))
    for referral_state in ReferralStatus:
        for action in REFERRAL_ACTIONS:
            assert_bilingual(str(ReferralRefused(action, referral_state)))
    for transfer_state in TRANSFER_STATES:
        assert_bilingual(str(TransferRefused("accept", TransferStatus(transfer_state))))
    for discipline_state in DisciplineStatus:
        assert_bilingual(str(DisciplineRefused("decide", discipline_state)))


def test_the_other_error_shapes_are_bilingual() -> None:
    for kind in KINDS:
        assert_bilingual(str(errors.NotFound(kind, "42")))
        assert_bilingual(str(errors.Conflict.kept_changing(kind, "42")))
    assert_bilingual(str(errors.UnknownAgencies(["县卫健局"])))
    assert_bilingual(str(errors.NotFound("item version", "42", says("versions_up_to", last=3))))


MONDAY = datetime(2026, 3, 2, 10, tzinfo=TIMEZONE)
DUE = Deadline.on(date(2026, 3, 31), "2026年3月底")


def _issue() -> RectificationIssue:
    return RectificationIssue(
        uuid4(), "1", "问题", ["措施"], uuid4(), [], DUE, "ledger.csv", "importer"
    )


# Each command of an issue with input it refuses or in a state that refuses it.
ISSUE_COMMANDS: dict[str, Callable[[RectificationIssue], Any]] = {
    "report progress": lambda i: i.report_progress(uuid4(), "进展", [], "liaison"),
    "report nothing": lambda i: i.report_progress(i.lead_agency_id, " ", [], "liaison"),
    "submit": lambda i: i.submit_for_verification("完成", "liaison"),
    "sign off": lambda i: i.sign_off("同意", "coordinator"),
    "reject": lambda i: i.reject(" ", "coordinator"),
    "request": lambda i: i.request_extension(DUE, "理由", "liaison"),
    "request no reason": lambda i: i.request_extension(DUE, " ", "liaison"),
    "approve": lambda i: i.approve_extension("同意", "leadership"),
    "deny": lambda i: i.deny_extension("", "leadership"),
    "reopen": lambda i: i.reopen("", None, "coordinator"),
    "pause": lambda i: i.pause_clock(MONDAY, "送检", "coordinator"),
    "pause naive": lambda i: i.pause_clock(MONDAY.replace(tzinfo=None), "送检", "coordinator"),
    "resume": lambda i: i.resume_clock(MONDAY - timedelta(days=1), "结果已出", "coordinator"),
}


def _issue_in(stage: str) -> RectificationIssue:
    issue = _issue()
    if stage == "paused":
        issue.pause_clock(MONDAY, "送检", "coordinator")
    if stage in ("submitted", "closed"):
        issue.submit_for_verification("完成", "liaison")
    if stage == "closed":
        issue.sign_off("同意", "coordinator")
    return issue


@pytest.mark.parametrize("stage", ["open", "paused", "submitted", "closed"])
def test_every_refusal_of_an_issue_is_bilingual(stage: str) -> None:
    refused = 0
    for command in ISSUE_COMMANDS.values():
        try:
            command(_issue_in(stage))
        except errors.DomainError as refusal:
            assert_bilingual(str(refusal))
            refused += 1
    assert refused >= 5


def test_every_refused_referral_step_is_bilingual() -> None:
    for state, make in referrals.STATES.items():
        for step, _, allowed in referrals.STEPS.values():
            if state.value not in allowed:
                with pytest.raises(errors.DomainError) as refused:
                    step(make())
                assert_bilingual(str(refused.value))


def test_every_refused_clue_step_is_bilingual() -> None:
    steps: list[Callable[[Any], Any]] = [
        lambda c: c.handle("", "李四"),
        lambda c: c.dismiss("理由", "李四"),
        lambda c: c.conclude("", "李四"),
        lambda c: c.reply("答复", "电话", MONDAY, "李四"),
        lambda c: c.reply("答复", "电话", MONDAY, "李四"),  # the second one
        lambda c: c.reveal(uuid4(), "核实", MONDAY, "李四"),
    ]
    for real_name in (True, False):
        for state in ClueStatus:
            clue = clues._clue(real_name, state)
            for step in steps:
                try:
                    step(clue)
                except errors.DomainError as refusal:
                    assert_bilingual(str(refusal))


@pytest.mark.parametrize("text", ["", "6月底", "2021年13月底", "春节前", "2100年底"])
def test_a_deadline_that_cannot_be_read_is_refused_in_both_languages(text: str) -> None:
    with pytest.raises(DeadlineParseError) as refused:
        parse_deadline(text)
    assert_bilingual(str(refused.value))
    assert SEPARATOR in str(refused.value)
