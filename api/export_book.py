"""The export workbook: openpyxl in write-only mode, so rows go to disk as they come.

Layout: an optional title row, then the header row (bold, frozen with everything above
it), then one row per item with 序号 (its place in the export) first; column widths from
api/export_lists.py, long text wrapped. A cell of user text that starts like a formula
(`=`) is written as text: an export never computes anything a user typed.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from api.export_lists import Cell, ListExport, Node, Shown

BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
WRAPPED_FROM_WIDTH = 28  # narrower columns hold names and dates, wider ones text


class Book:
    def __init__(self, found: ListExport, shown: Shown, title: str | None) -> None:
        self.found, self.shown = found, shown
        self.workbook = Workbook(write_only=True)
        self.sheet: Any = self.workbook.create_sheet(found.title_en[:31])
        widths = [6, *(column.width for column in found.columns)]
        for number, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(number)].width = width
        # frozen: the header (and the title above it) stays in view while scrolling
        self.sheet.freeze_panes = "A3" if title else "A2"
        if title:
            self.sheet.append([self._cell(title, BOLD)])
        headers = ["No." if shown.english else "序号"]
        headers += [c.en if shown.english else c.zh for c in found.columns]
        self.sheet.append([self._cell(header, BOLD) for header in headers])
        self.wrapped = [False, *(c.width >= WRAPPED_FROM_WIDTH for c in found.columns)]

    def _cell(self, value: Cell, font: Font | None = None, wrap: bool = False) -> Any:
        cell = WriteOnlyCell(self.sheet)
        if isinstance(value, str):
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.data_type = "s"  # never a formula, whatever the text starts with
        else:
            cell.value = value
        if font is not None:
            cell.font = font
        cell.alignment = WRAP if wrap else TOP
        return cell

    def add(self, nodes: list[Node], before: int) -> None:
        """Rows for `nodes`, numbered after the `before` rows already written."""
        for place, node in enumerate(nodes, start=before + 1):
            values: list[Cell] = [place]
            values += [column.cell(node, self.shown) for column in self.found.columns]
            self.sheet.append(
                [self._cell(v, wrap=w) for v, w in zip(values, self.wrapped, strict=True)]
            )

    def save(self, path: str) -> None:
        self.workbook.save(path)
