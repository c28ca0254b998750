"""A ledger file read and checked for import: the part of `rectify import-issues` that is
not the command line, so that the coordinator's upload (`POST /ledger/preview` and
`/ledger/import`, api/ledger_upload.py) checks exactly what the CLI checks.

Reading and checking write nothing. `check_ledger` gives every problem of every row at
once, `check_agencies` adds the agencies nobody registered; `import_checked`
then saves all or nothing through `RectifyApp.import_ledger`, which is idempotent: an
issue already imported unchanged is counted, not written again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.application import ImportReport, RectifyApp
from domain.ledger_rows import (
    LedgerRejected,
    LedgerRow,
    RawRow,
    RowProblem,
    check_rows,
    ledger_year,
    responsible_names,
    skip_headings,
)
from domain.messages import says
from domain.names import normalise_name
from infrastructure.ledger_files import Progress, read_ledger_file
from projections.analyze import analyze

BULK_ISSUES = 200  # an import of at least this many new issues refreshes the statistics


@dataclass
class CheckedLedger:
    """The valid rows, the problems of the others, and what the reader assumed."""

    rows: list[LedgerRow]
    problems: list[RowProblem]
    notes: list[str] = field(default_factory=list)
    # (row, column, agency name) of every responsible agency the rows name
    named: list[tuple[int, str, str]] = field(default_factory=list)


def year_of_ledger(
    given: int | None,
    campaign: str,
    headers: dict[str, str],
    raw_rows: list[RawRow],
    this_year: int,
) -> int:
    """The year of deadlines written without one: `given`, else the one year the campaign
    title writes, else the earliest year the ledger's deadlines write, else this year."""
    if given is not None:
        return given
    titled = set(re.findall(r"(?<!\d)(20\d{2})(?!\d)", campaign))
    if len(titled) == 1:
        return int(titled.pop())
    return ledger_year(headers, raw_rows) or this_year


def unknown_agencies(ledger: RectifyApp, named: list[tuple[int, str, str]]) -> list[RowProblem]:
    """Every name that matches no agency, on every row that gives it (valid or not)."""
    known: dict[str, bool] = {}
    problems: list[RowProblem] = []
    for row, column, name in named:
        key = normalise_name(name)
        if key not in known:
            known[key] = ledger.find_agency(name) is not None
        if not known[key]:
            problems.append(
                RowProblem(
                    row,
                    column,
                    says("unknown_agency_in_row", name=name),
                )
            )
    return problems


def check_ledger(
    path: Path,
    campaign: str,
    *,
    this_year: int,
    year: int | None = None,
    progress: Progress | None = None,
) -> CheckedLedger:
    """The file read and every row checked; nothing is written, nothing is looked up. A
    file that cannot be read at all (type, size, no header row) raises LedgerRejected."""
    headers, raw_rows = read_ledger_file(path, progress)
    raw_rows, skipped = skip_headings(raw_rows)
    rows, problems = check_rows(
        headers, raw_rows, year_of_ledger(year, campaign, headers, raw_rows, this_year)
    )
    notes = [*skipped, *(note for row in rows for note in row.notes)]
    return CheckedLedger(rows, problems, notes, responsible_names(headers, raw_rows))


def check_agencies(ledger: RectifyApp, checked: CheckedLedger) -> None:
    """Adds to the problems every agency name of the ledger that no agency answers to
    (not called when the import may create agencies)."""
    checked.problems += unknown_agencies(ledger, checked.named)


def import_checked(
    ledger: RectifyApp,
    checked: CheckedLedger,
    campaign: str,
    *,
    actor: str,
    source: str,
    create_agencies: bool = False,
) -> ImportReport:
    """Saves the rows of a ledger without problems, all or nothing (LedgerRejected, a
    DomainError, and nothing written otherwise)."""
    if checked.problems:
        raise LedgerRejected(checked.problems)
    report = ledger.import_ledger(
        campaign, checked.rows, actor=actor, source=source, create_agencies=create_agencies
    )
    if len(report.created) >= BULK_ISSUES:
        analyze_event_store(ledger)
    return report


def analyze_event_store(ledger: RectifyApp) -> None:
    """Fresh planner statistics for the event tables after a bulk import (ADR 0053); the
    read tables are analyzed by the projection runner once it has applied the import."""
    recorder: Any = ledger.recorder
    tables = [recorder.events_table_name, getattr(recorder, "hashes_table_name", None)]
    with recorder.datastore.get_connection() as conn:
        analyze(conn, [t for t in tables if t], recorder.datastore.schema)
