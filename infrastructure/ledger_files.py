"""Reading ledger files (.csv, .xlsx, .json) into headers and raw rows.

Real ledgers put a title row above the header, merge cells across rows, come out of
Excel as GB18030 CSV, or hold dates as spreadsheet dates; all of that is handled here so
that domain.ledger_rows sees plain cells. Row numbers are the ones a spreadsheet shows
(the header is row 1 when it is the first line); JSON rows are numbered from 1.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from domain.ledger_rows import LedgerRejected, RawRow, RowProblem, map_headers
from infrastructure.ledger_limits import (
    BoundedTable,
    JsonCounter,
    check_file_size,
    check_json_table,
    check_workbook_archive,
)

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
    check_file_size(path)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            table = _csv_table(path, encoding)
        except UnicodeDecodeError:
            continue  # read again in the other encoding: the file is small enough
        return _from_table(table, progress)
    raise LedgerRejected([RowProblem(0, "file", "not UTF-8 or GB18030 text")])


def _csv_table(path: Path, encoding: str) -> list[list[object]]:
    """The records of a CSV file, streamed: only the rows within the limits are held."""
    with path.open(encoding=encoding, newline="") as text:
        sample = text.read(4096)
        text.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",\t;")
        except csv.Error:
            dialect = csv.excel
        table = BoundedTable()
        try:
            for record in csv.reader(text, dialect):
                table.add(record)
        except csv.Error as error:  # a cell over the csv module's field limit, among others
            raise LedgerRejected(
                [RowProblem(table.seen + 1, "CSV", f"无法读取 / cannot read: {error}")]
            ) from None
    return table.table()


def read_xlsx(path: Path, progress: Progress | None = None) -> tuple[dict[str, str], list[RawRow]]:
    check_file_size(path)
    check_workbook_archive(path)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise LedgerRejected([RowProblem(0, "file", f"cannot open workbook: {error}")]) from None
    try:
        table = _sheet_table(workbook)
    finally:
        workbook.close()
    return _from_table(table.table(), progress)


def _sheet_table(workbook: Any) -> BoundedTable:
    """The active sheet's rows, streamed, with every merged range's value copied over the
    range, so that an agency merged over three rows is responsible for all three.

    openpyxl's read-only sheet streams rows but drops the merged ranges (written after the
    rows); its sheet parser, used here directly, streams the same rows and keeps them."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.worksheet.cell_range import CellRange

    sheet = workbook.active
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise LedgerRejected([RowProblem(0, "file", "the workbook has no sheet")])
    table = BoundedTable()
    try:
        with sheet._get_source() as source:
            parser = WorkSheetParser(
                source,
                sheet._shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            for number, cells in parser.parse():
                if number <= table.seen:
                    continue  # out of order: openpyxl ignores such a row too
                table.skip_to(number)
                table.add(_row_values(sheet, cells))
        for merged in parser.merged_cells.mergeCell if parser.merged_cells else []:
            bounds = CellRange(merged.ref)
            table.fill(bounds.min_row, bounds.min_col, bounds.max_row, bounds.max_col)
    except LedgerRejected:
        raise
    except Exception as error:  # damaged XML inside a well-formed zip, in many kinds
        raise LedgerRejected(
            [RowProblem(0, "file", f"cannot read workbook after row {table.seen}: {error}")]
        ) from None
    return table


def _row_values(sheet: Any, cells: list[dict[str, Any]]) -> list[object]:
    """One row's values by column; a cell's place is its column, not its order."""
    from openpyxl.cell.read_only import ReadOnlyCell

    present = [c for c in cells if c["value"] is not None and c["column"] > 0]
    if not present:
        return []
    values: list[object] = [None] * max(c["column"] for c in present)
    for cell in present:
        value = cell["value"]
        if isinstance(value, (date, datetime)):
            value = _shown(ReadOnlyCell(sheet, **cell))
        values[cell["column"] - 1] = value
    return values


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
    check_file_size(path)
    counted = JsonCounter()
    try:
        data = json.loads(_decode(path.read_bytes()), object_pairs_hook=counted)
    except RecursionError:
        raise LedgerRejected(
            [RowProblem(0, "file", "JSON 嵌套过深 / JSON nested too deeply")]
        ) from None
    except ValueError as error:  # JSONDecodeError, or an integer of over 4300 digits
        raise LedgerRejected([RowProblem(0, "file", f"not JSON: {error}")]) from None
    counted.check()
    if isinstance(data, dict):
        data = data.get("issues", data.get("问题", data.get("items")))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise LedgerRejected(
            [RowProblem(0, "file", 'expected a list of objects, or {"issues": [...]}')]
        )
    headers_seen = dict.fromkeys(key for item in data for key in item)  # in order, once
    check_json_table(len(data), len(headers_seen))
    mapped, problems = map_headers(list(headers_seen))
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
    try:
        return reader(path, progress)
    except OSError as error:  # not readable by this user, a disk error
        raise LedgerRejected(
            [RowProblem(0, "file", f"无法读取文件 / cannot read the file: {error}")]
        ) from None
