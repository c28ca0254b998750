"""Reading ledger files (.csv, .xlsx, .json) into headers and raw rows.

Real ledgers put a title row above the header, merge cells across rows, come out of
Excel as GB18030 CSV, or hold dates as spreadsheet dates; all of that is handled here so
that domain.ledger_rows sees plain cells. Row numbers are the ones a spreadsheet shows
(the header is row 1 when it is the first line); JSON rows are numbered from 1.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from domain.ledger_rows import LedgerRejected, RawRow, RowProblem, map_headers

HEADER_SEARCH_ROWS = 10
Progress = Callable[[int, int], None]


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _find_header(table: list[list[object]]) -> tuple[int, list[str], dict[str, str]]:
    """The header row is the first of the top rows that names every needed column;
    when none does, report the problems of the row that came closest."""
    best: list[RowProblem] | None = None
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        headers = [str(c).strip() if c is not None else "" for c in row]
        mapped, problems = map_headers(headers)
        if not problems:
            return index, headers, mapped
        if best is None or len(problems) < len(best):
            best = problems
    raise LedgerRejected(best or [RowProblem(0, "file", "no header row")])


def _from_table(
    table: list[list[object]], progress: Progress | None
) -> tuple[dict[str, str], list[RawRow]]:
    index, names, mapped = _find_header(table)
    rows: list[RawRow] = []
    total = len(table) - index - 1
    for offset, values in enumerate(table[index + 1 :], start=1):
        cells = {
            name: _cell(values[i]) if i < len(values) else None
            for i, name in enumerate(names)
            if name
        }
        rows.append(RawRow(index + 1 + offset, cells))
        if progress:
            progress(offset, total)
    return mapped, rows


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerRejected([RowProblem(0, "file", "not UTF-8 or GB18030 text")])


def read_csv(path: Path, progress: Progress | None = None) -> tuple[dict[str, str], list[RawRow]]:
    text = _decode(path.read_bytes())
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",\t;")
    except csv.Error:
        dialect = csv.excel
    table: list[list[object]] = [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    return _from_table(table, progress)


def read_xlsx(path: Path, progress: Progress | None = None) -> tuple[dict[str, str], list[RawRow]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise LedgerRejected([RowProblem(0, "file", f"cannot open workbook: {error}")]) from None
    sheet = workbook.active
    if sheet is None:
        raise LedgerRejected([RowProblem(0, "file", "the workbook has no sheet")])
    # A merged cell holds its value in its top-left corner only: copy it to the whole range,
    # so that an agency merged over three rows is responsible for all three.
    for merged in list(sheet.merged_cells.ranges):
        value = sheet.cell(merged.min_row, merged.min_col).value
        sheet.unmerge_cells(str(merged))
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                sheet.cell(row, col).value = value
    table = [[_shown(cell) for cell in row] for row in sheet.iter_rows()]
    return _from_table(table, progress)


def _shown(cell: object) -> object:
    """A date cell as the sheet shows it (the deadline's text is kept as written): by its
    number format, 2026年12月31日 or 2026/12/31, else ISO."""
    value = getattr(cell, "value", None)
    if not isinstance(value, (date, datetime)):
        return value
    day = value.date() if isinstance(value, datetime) else value
    form = str(getattr(cell, "number_format", "") or "")
    if "年" in form:
        shown = f"{day.year}年{day.month}月" + (f"{day.day}日" if "d" in form.lower() else "")
        return shown
    if "/" in form:
        return f"{day.year}/{day.month}/{day.day}"
    return day.isoformat()


def read_json(path: Path, progress: Progress | None = None) -> tuple[dict[str, str], list[RawRow]]:
    try:
        data = json.loads(_decode(path.read_bytes()))
    except json.JSONDecodeError as error:
        raise LedgerRejected([RowProblem(0, "file", f"not JSON: {error}")]) from None
    if isinstance(data, dict):
        data = data.get("issues", data.get("问题", data.get("items")))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise LedgerRejected(
            [RowProblem(0, "file", 'expected a list of objects, or {"issues": [...]}')]
        )
    headers_seen: list[str] = []
    for item in data:
        headers_seen.extend(k for k in item if k not in headers_seen)
    mapped, problems = map_headers(headers_seen)
    if problems:
        raise LedgerRejected(problems)
    rows = []
    for number, item in enumerate(data, start=1):
        rows.append(RawRow(number, {k: _cell(v) for k, v in item.items()}))
        if progress:
            progress(number, len(data))
    return mapped, rows


READERS = {".csv": read_csv, ".xlsx": read_xlsx, ".json": read_json}


def read_ledger_file(
    path: Path, progress: Progress | None = None
) -> tuple[dict[str, str], list[RawRow]]:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise LedgerRejected(
            [RowProblem(0, "file", f"unsupported type '{path.suffix}'; use .csv, .xlsx or .json")]
        )
    if not path.is_file():
        raise LedgerRejected([RowProblem(0, "file", f"{path} does not exist")])
    return reader(path, progress)
