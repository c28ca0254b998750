"""How big a ledger file may be, checked before and while it is read.

A 2 MB xlsx whose sheet unpacks to gigabytes, or a sheet of a million formatted rows,
once took the importer to 5 GB of memory. A province's ledger has a few thousand rows and
a few dozen columns, so the limits below leave room for ten times that and still bound
what one import can hold: the file is measured before it is opened, a workbook's zip
entries by the sizes they declare (Python's zipfile never unpacks more than an entry
declares: it stops there and fails the entry's CRC), and rows and cells while they stream.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from domain.ledger_rows import LedgerRejected, RowProblem
from domain.text_rules import text_problem

MAX_FILE_BYTES = 32 * 2**20  # the file as stored (.csv, .xlsx or .json)
MAX_UNPACKED_BYTES = 64 * 2**20  # all entries of an .xlsx, unpacked
MAX_COMPRESSION_RATIO = 100  # unpacked / packed size of one entry over 1 MiB
RATIO_CHECKED_FROM_BYTES = 2**20  # small entries (styles, a blank sheet) pack far tighter
MAX_ZIP_ENTRIES = 10_000  # a workbook has a few dozen; pictures add one each
MAX_ROWS = 20_000  # rows down to the last one with content
MAX_COLUMNS = 200  # cells of one row, up to its last one with content
MAX_CELLS = 1_000_000  # cells with content in the whole sheet


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def check_file_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise LedgerRejected(
            [
                RowProblem(
                    0,
                    "file",
                    f"文件超过 {_mib(MAX_FILE_BYTES)} 上限（{_mib(size)}） / file larger than"
                    f" {_mib(MAX_FILE_BYTES)} ({_mib(size)}, {size} bytes)",
                )
            ]
        )


def check_workbook_archive(path: Path) -> None:
    """Refuse a workbook whose zip would unpack to more than the limits allow, from the
    sizes its entries declare, before any XML of it is parsed."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise LedgerRejected(
            [RowProblem(0, "file", f"不是有效的 xlsx 文件 / not an xlsx workbook: {error}")]
        ) from None
    problems: list[RowProblem] = []
    if len(entries) > MAX_ZIP_ENTRIES:
        problems.append(
            RowProblem(
                0,
                "file",
                f"压缩包条目超过 {MAX_ZIP_ENTRIES} 个上限（{len(entries)} 个） / more than"
                f" {MAX_ZIP_ENTRIES} entries in the workbook ({len(entries)})",
            )
        )
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_UNPACKED_BYTES:
        problems.append(
            RowProblem(
                0,
                "file",
                f"解压后超过 {_mib(MAX_UNPACKED_BYTES)} 上限（{_mib(unpacked)}） / unpacks to"
                f" more than {_mib(MAX_UNPACKED_BYTES)} ({_mib(unpacked)})",
            )
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_CHECKED_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            problems.append(
                RowProblem(
                    0,
                    "file",
                    f"{entry.filename} 解压后是压缩大小的 {ratio:.0f} 倍，超过 "
                    f"{MAX_COMPRESSION_RATIO} 倍上限 / {entry.filename} unpacks to {ratio:.0f}"
                    f" times its packed size, more than {MAX_COMPRESSION_RATIO}",
                )
            )
    if problems:
        raise LedgerRejected(problems)


def _empty(value: object) -> bool:
    """Nothing written; U+001C–U+001F count as white space to `strip` but are characters
    no text may hold, so a cell of them is kept, to be refused with its row named."""
    if not isinstance(value, str):
        return value is None
    return not value.strip() and text_problem(value, len(value)) is None


class BoundedTable:
    """The rows of a sheet as they stream in, held only while within the limits; past
    them only counted, so that the refusal can say how big the file really is.

    Blank rows are held back until a row with content follows: formatting applied down to
    row 1,048,576 makes a sheet look that long without a line of text in it.
    """

    def __init__(self) -> None:
        self.rows: list[list[object]] = []
        self.seen = 0  # rows read, blank or not: the sheet's row number of the last one
        self.blank_run = 0
        self.last_with_content = 0
        self.cells = 0
        self.widest = (0, 0)  # (cells, row)

    def add(self, values: Sequence[object]) -> None:
        self.seen += 1
        width = len(values)
        while width and _empty(values[width - 1]):
            width -= 1
        if not width:
            self.blank_run += 1
            return
        self.last_with_content = self.seen
        self.cells += sum(1 for value in values[:width] if not _empty(value))
        if width > self.widest[0]:
            self.widest = (width, self.seen)
        if self.over_limits():
            return
        self.rows.extend([] for _ in range(self.blank_run))
        self.blank_run = 0
        self.rows.append(list(values[:width]))

    def skip_to(self, row: int) -> None:
        """Rows missing from the file before `row` (a sheet writes only rows it uses)."""
        if row - 1 > self.seen:
            self.blank_run += row - 1 - self.seen
            self.seen = row - 1

    def fill(self, min_row: int, min_col: int, max_row: int, max_col: int) -> None:
        """Copy a merged range's top-left value over the range (rows and columns from 1),
        within the limits. Every cell of the range counts, so that overlapping ranges (which
        Excel never writes) cannot make the copying endless."""
        max_row, max_col = min(max_row, MAX_ROWS), min(max_col, MAX_COLUMNS)
        if min_row > len(self.rows) or min_col > max_col or min_row > max_row:
            return
        top = self.rows[min_row - 1]
        value = top[min_col - 1] if min_col <= len(top) else None
        if _empty(value) or self.over_limits():
            return
        self.cells += (max_row - min_row + 1) * (max_col - min_col + 1) - 1
        if self.cells > MAX_CELLS:
            return
        while len(self.rows) < max_row:
            self.rows.append([])
        for row in self.rows[min_row - 1 : max_row]:
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            row[min_col - 1 : max_col] = [value] * (max_col - min_col + 1)

    def over_limits(self) -> bool:
        return (
            self.last_with_content > MAX_ROWS
            or self.widest[0] > MAX_COLUMNS
            or self.cells > MAX_CELLS
        )

    def table(self) -> list[list[object]]:
        """The rows read, or LedgerRejected naming each limit passed and what was found."""
        problems: list[RowProblem] = []
        if self.last_with_content > MAX_ROWS:
            problems.append(
                RowProblem(
                    0,
                    "file",
                    f"超过 {MAX_ROWS} 行上限（内容直到第 {self.last_with_content} 行） / more"
                    f" than {MAX_ROWS} rows (content down to row {self.last_with_content})",
                )
            )
        width, row = self.widest
        if width > MAX_COLUMNS:
            problems.append(
                RowProblem(
                    row,
                    "columns",
                    f"超过 {MAX_COLUMNS} 列上限（{width} 列） / more than {MAX_COLUMNS}"
                    f" columns ({width})",
                )
            )
        if self.cells > MAX_CELLS:
            problems.append(
                RowProblem(
                    0,
                    "file",
                    f"超过 {MAX_CELLS} 个单元格上限（{self.cells} 个有内容） / more than"
                    f" {MAX_CELLS} cells ({self.cells} with content)",
                )
            )
        if problems:
            raise LedgerRejected(problems)
        return self.rows


class JsonCounter:
    """`object_pairs_hook` for json.loads: counts objects (rows) and their members (cells),
    and past a limit drops what it is given, so that the refusal can say how big the file
    is without holding all of it."""

    def __init__(self) -> None:
        self.objects = 0
        self.members = 0
        self.widest = 0

    def __call__(self, pairs: list[tuple[str, object]]) -> dict[str, object] | None:
        self.objects += 1
        self.members += len(pairs)
        self.widest = max(self.widest, len(pairs))
        return None if self.over_limits() else dict(pairs)

    def over_limits(self) -> bool:
        # one object more than the rows: {"issues": [...]} wraps them
        return self.objects > MAX_ROWS + 1 or self.members > MAX_CELLS or self.widest > MAX_COLUMNS

    def check(self) -> None:
        problems: list[RowProblem] = []
        if self.objects > MAX_ROWS + 1:
            problems.append(
                RowProblem(
                    0,
                    "file",
                    f"超过 {MAX_ROWS} 行上限（{self.objects} 个对象） / more than {MAX_ROWS}"
                    f" rows ({self.objects} objects)",
                )
            )
        if self.widest > MAX_COLUMNS:
            problems.append(
                RowProblem(
                    0,
                    "columns",
                    f"超过 {MAX_COLUMNS} 列上限（一个对象有 {self.widest} 个键） / more than"
                    f" {MAX_COLUMNS} columns (an object with {self.widest} keys)",
                )
            )
        if self.members > MAX_CELLS:
            problems.append(
                RowProblem(
                    0,
                    "file",
                    f"超过 {MAX_CELLS} 个单元格上限（{self.members} 个） / more than"
                    f" {MAX_CELLS} cells ({self.members})",
                )
            )
        if problems:
            raise LedgerRejected(problems)


def check_json_table(rows: int, keys: int) -> None:
    """A JSON ledger's objects are its rows and their keys its columns."""
    problems: list[RowProblem] = []
    if rows > MAX_ROWS:
        problems.append(
            RowProblem(
                0,
                "file",
                f"超过 {MAX_ROWS} 行上限（{rows} 行） / more than {MAX_ROWS} rows ({rows})",
            )
        )
    if keys > MAX_COLUMNS:
        problems.append(
            RowProblem(
                0,
                "columns",
                f"超过 {MAX_COLUMNS} 列上限（{keys} 个不同的键） / more than {MAX_COLUMNS}"
                f" columns ({keys} different keys)",
            )
        )
    if problems:
        raise LedgerRejected(problems)
