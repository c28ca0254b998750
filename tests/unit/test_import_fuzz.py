"""Property-based fuzzing of reading ledger files (no database): whatever the cells, the
reader refuses or accepts, every problem names a row (0: the file) and a column, and no
accepted row holds text that text_rules refuses."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.ledger_rows import LedgerRejected, LedgerRow, RowProblem, check_rows, skip_headings
from domain.text_rules import MAX_ITEMS, MAX_NAME, MAX_TEXT, list_problem, text_problem
from infrastructure.ledger_files import read_ledger_file
from rectify.composition import wire_domain
from tests.ledger_strategies import (
    EXAMPLES,
    HEADER,
    Ledger,
    ledgers,
    write_csv,
    write_json,
    write_xlsx,
)

FUZZ = settings(
    max_examples=EXAMPLES or 100,
    # the normal suite tries the same examples each run (a red CI says what changed); a
    # long run (RECTIFY_FUZZ_EXAMPLES=N) searches at random
    derandomize=not EXAMPLES,
    database=None if not EXAMPLES else settings.default.database,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _import(path: Path) -> tuple[list[LedgerRow], list[RowProblem]]:
    """What `rectify import-issues` checks before it writes anything."""
    wire_domain()  # deadlines such as 春节前 need the lunar calendar
    try:
        headers, raw_rows = read_ledger_file(path)
    except LedgerRejected as rejected:
        assert rejected.problems
        return [], rejected.problems
    raw_rows, _ = skip_headings(raw_rows)
    return check_rows(headers, raw_rows, 2026)


def _write(ledger: Ledger, folder: Path, kind: str) -> Path:
    if kind == "csv":
        return write_csv(ledger, folder / "ledger.csv")
    if kind == "json":
        return write_json(ledger, folder / "ledger.json", wrapped=False)
    return write_xlsx(ledger, folder / "ledger.xlsx", title=kind == "xlsx-title")


def _forbidden(text: str) -> bool:
    return text_problem(text, 2**63) is not None


def _assert_storable(row: LedgerRow) -> None:
    assert text_problem(row.number, MAX_NAME) is None
    assert text_problem(row.problem, MAX_TEXT) is None
    assert list_problem(row.measures, MAX_ITEMS) is None
    assert all(text_problem(m, MAX_TEXT) is None for m in row.measures)
    assert list_problem(row.co, MAX_ITEMS) is None
    assert all(text_problem(n, MAX_NAME) is None for n in [row.lead, *row.co])
    assert not _forbidden(row.deadline.text)


@FUZZ
@given(ledger=ledgers(), kind=st.sampled_from(["csv", "json", "xlsx", "xlsx-title"]))
def test_a_ledger_is_read_or_refused_with_every_problem_named(
    tmp_path: Path, ledger: Ledger, kind: str
) -> None:
    path = _write(ledger, tmp_path, kind)

    rows, problems = _import(path)  # anything but LedgerRejected fails the test

    for problem in problems:
        assert problem.row >= 0 and problem.column.strip() and problem.message.strip()
        assert problem.row <= len(ledger.rows) + 2  # a title row, the header, the rows
    if not problems:
        assert rows  # "no rows" is a problem too
    for row in rows:
        _assert_storable(row)


@FUZZ
@given(
    ledger=ledgers().filter(lambda ledger: sorted(ledger.header) == sorted(HEADER)),
    kind=st.sampled_from(["csv", "json"]),
)
def test_a_ledger_with_a_cell_no_text_may_hold_is_refused(
    tmp_path: Path, ledger: Ledger, kind: str
) -> None:
    cells = [cell for row in ledger.rows for cell in row[: len(HEADER)]]
    # anywhere in the file, a column past the header's included: the file is then not UTF-8
    written = [cell for row in ledger.rows for cell in row]
    surrogate = any("\ud800" <= c <= "\udfff" for cell in written for c in cell)
    path = _write(ledger, tmp_path, kind)

    _, problems = _import(path)

    # (a CSV with a lone surrogate is not UTF-8: read as GB18030, its text is another)
    if any(_forbidden(cell) for cell in cells) and not (kind == "csv" and surrogate):
        assert problems
        assert any(p.row > 0 for p in problems)


@FUZZ
@given(
    numbers=st.integers(1, 6),
    deadline=st.sampled_from(["2026年6月底", "2026-02-28", "立行立改，长期坚持", "6月30日前"]),
    kind=st.sampled_from(["csv", "json", "xlsx", "xlsx-title"]),
)
def test_a_sound_ledger_is_read_whole(
    tmp_path: Path, numbers: int, deadline: str, kind: str
) -> None:
    rows_written = [
        [str(n), f"问题{n}", "1.开展自查\n2.建立台账", "县卫健局、县医保局", deadline]
        for n in range(1, numbers + 1)
    ]
    path = _write(Ledger(HEADER, rows_written), tmp_path, kind)

    rows, problems = _import(path)

    assert problems == []
    assert [row.number for row in rows] == [str(n) for n in range(1, numbers + 1)]
