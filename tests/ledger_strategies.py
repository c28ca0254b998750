"""Hypothesis strategies for ledger files (.csv, .json, .xlsx) with hostile cells: NUL, lone
surrogates, control characters, huge cells, odd headers, empty rows, random deadlines.

Longer runs: `RECTIFY_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/unit/test_import_fuzz.py
tests/integration/test_import_fuzz.py` (the suite's own run is short)."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from domain.text_rules import MAX_ITEMS, MAX_NAME, MAX_TEXT

EXAMPLES = int(os.environ.get("RECTIFY_FUZZ_EXAMPLES", "0"))
HEADER = ["问题编号", "反馈问题", "整改措施", "责任单位", "完成时限"]
ODD_HEADERS = [
    "序号", "编号", "问题", "存在问题", "措施", "整改举措", "牵头单位", "配合单位", "责任人",
    "完成时间", "时限", "备注", "number", "problem", "measures", "responsible", "deadline",
    "责任单位（部门）", "整改时限(完成时间)", "", "问题\x00", "\ud800", "问题\x07描述",
]  # fmt: skip
DEADLINES = [
    "2026年6月底", "2026-02-28", "2026.6.30", "２０２６年１２月３１日", "2026年第一季度",
    "2026年上半年", "2026年底", "立行立改，长期坚持", "持续推进", "每季度", "6月30日前",
    "2027年春节前", "次年3月底", "9999-12-31", "0001-01-01", "2026年13月底", "2099年12月",
    "2100年1月", "明年", "", "长期", "2026年2月30日", "2026年6月上旬；2026年12月",
]  # fmt: skip
AGENCIES = ["县卫健局", "县医保局", "县市场监管局", "各乡镇人民政府", "县公安局"]
HOSTILE = ["\x00", "\ud800", "\udfff", "\x01", "\x07", "\x0b", "\x1b", "\x1f", "\x7f", "\u2028"]


def _huge(limit: int) -> st.SearchStrategy[str]:
    return st.sampled_from(["问", "a", "1、措施\n"]).map(lambda unit: unit * (limit + 1))


any_text = st.text(st.characters(exclude_categories=()), max_size=12)  # surrogates too
plain_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
cells = st.one_of(
    plain_text,
    any_text,
    st.sampled_from(HOSTILE),
    st.tuples(st.sampled_from(AGENCIES), st.sampled_from(HOSTILE)).map("".join),
    st.sampled_from(DEADLINES),
    st.sampled_from(AGENCIES),
    st.just(""),
    _huge(MAX_NAME),
    _huge(MAX_TEXT),
    st.just("、".join(f"第{n}局" for n in range(MAX_ITEMS + 1))),
    st.integers(-(10**6), 10**6).map(str),
)


# a cell with one character that no text may hold, amid ordinary text
poisoned = st.tuples(plain_text, st.sampled_from(HOSTILE[:8]), plain_text).map("".join)


def _good_row(number: int) -> st.SearchStrategy[list[str]]:
    return st.tuples(
        st.just(str(number)),
        st.sampled_from(["问题", "医保基金违规使用", "未建立台账"]),
        st.sampled_from(["措施", "1.开展自查\n2.建立台账", "一是检查；二是整改"]),
        st.lists(st.sampled_from(AGENCIES), min_size=1, max_size=3).map("、".join),
        st.sampled_from(DEADLINES[:12]),
    ).map(list)  # in HEADER's order


@dataclass
class Ledger:
    header: list[str]
    rows: list[list[str]]


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    """Either a wild ledger (a usual, reordered or odd header; rows sound, poisoned,
    hostile, empty or ragged) or a sound one with at most a poisoned cell or two, which
    only the text rules can refuse."""
    if draw(st.booleans()):
        header = draw(st.permutations(HEADER).map(list))
        rows = [draw(_good_row(n)) for n in range(1, draw(st.integers(1, 4)) + 1)]
        for _ in range(draw(st.integers(0, 2))):
            row = draw(st.sampled_from(rows))
            row[draw(st.integers(0, len(row) - 1))] = draw(poisoned)
        return Ledger(header, [[row[HEADER.index(h)] for h in header] for row in rows])
    header = draw(
        st.one_of(
            st.just(HEADER),
            st.permutations(HEADER).map(list),
            st.lists(st.sampled_from(HEADER + ODD_HEADERS), min_size=1, max_size=7),
        )
    )
    rows = []
    for number in range(1, draw(st.integers(0, 6)) + 1):
        row = draw(_good_row(number))
        kind = draw(st.sampled_from(["good", "good", "poisoned", "hostile", "empty", "ragged"]))
        if kind in ("poisoned", "hostile"):
            row[draw(st.integers(0, len(row) - 1))] = draw(
                poisoned if kind == "poisoned" else cells
            )
        elif kind == "empty":
            row = [""] * len(row)
        elif kind == "ragged":
            row = draw(st.lists(cells, max_size=8))
        rows.append(row)
    return Ledger(header, rows)


def write_csv(ledger: Ledger, path: Path) -> Path:
    text = io.StringIO()
    csv.writer(text).writerows([ledger.header, *ledger.rows])
    # a lone surrogate cannot be UTF-8: written as the bytes Python would, it makes the
    # file invalid UTF-8, as a damaged export would be
    path.write_bytes(text.getvalue().encode("utf-8", "surrogatepass"))
    return path


def write_json(ledger: Ledger, path: Path, wrapped: bool) -> Path:
    items = [dict(zip(ledger.header, row, strict=False)) for row in ledger.rows]
    path.write_text(json.dumps({"issues": items} if wrapped else items))  # \ud800 escaped
    return path


def _xlsx_text(value: str) -> str:
    # XML cannot hold these at all: openpyxl refuses to write them
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "".join(c for c in text if not "\ud800" <= c <= "\udfff")


def write_xlsx(ledger: Ledger, path: Path, title: bool) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    if title:
        sheet.append(["某县医疗领域专项整治反馈问题整改台账"])
        sheet.merge_cells("A1:E1")
    for row in [ledger.header, *ledger.rows]:
        sheet.append([_xlsx_text(v) or None for v in row])
    workbook.save(path)
    return path


@st.composite
def ledger_files(draw: st.DrawFn, folder: Path) -> Path:
    ledger = draw(ledgers())
    kind = draw(st.sampled_from(["csv", "csv", "json", "json-wrapped", "xlsx", "xlsx-title"]))
    name = folder / f"ledger-{draw(st.integers(0, 10**9))}"
    if kind == "csv":
        return write_csv(ledger, name.with_suffix(".csv"))
    if kind.startswith("json"):
        return write_json(ledger, name.with_suffix(".json"), kind == "json-wrapped")
    return write_xlsx(ledger, name.with_suffix(".xlsx"), kind == "xlsx-title")
