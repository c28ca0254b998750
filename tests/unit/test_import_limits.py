"""Size limits of ledger files: refused before they are parsed (zip bombs, huge files) or
while they stream (rows, columns, cells), naming the limit and what was found."""

from __future__ import annotations

import json
import struct
import tracemalloc
import zipfile
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import pytest

from domain.ledger_rows import LedgerRejected
from infrastructure.ledger_files import read_ledger_file
from infrastructure.ledger_limits import MAX_CELLS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS

HEADER = ["问题编号", "反馈问题", "整改措施", "责任单位", "完成时限"]
SHEET = "xl/worksheets/sheet1.xml"
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<dimension ref="A1:E1"/><sheetData>'
    b'<row r="1">'
    + b"".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'.encode()
        for col, name in zip("ABCDE", HEADER, strict=True)
    )
    + b"</row>"
)
SHEET_END = b"</sheetData></worksheet>"
FILLER_ROW = b'<row><c t="inlineStr"><is><t>' + b"x" * 200 + b"</t></is></c></row>"


def _refusal(path: Path) -> str:
    with pytest.raises(LedgerRejected) as refused:
        read_ledger_file(path)
    return str(refused.value)


def _workbook_with_sheet(path: Path, chunks: Iterable[bytes], level: int = 1) -> Path:
    """A workbook saved by openpyxl whose sheet XML is replaced by `chunks`, written as a
    stream so that the test never holds the unpacked sheet."""
    plain = path.with_suffix(".plain.xlsx")
    openpyxl.Workbook().save(plain)
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target,
    ):
        for entry in source.infolist():
            if entry.filename == SHEET:
                with target.open(SHEET, "w") as sheet:
                    for chunk in chunks:
                        sheet.write(chunk)
            else:
                target.writestr(entry, source.read(entry.filename))
    return path


def _filler(megabytes: int) -> Iterable[bytes]:
    chunk = FILLER_ROW * (2**20 // len(FILLER_ROW))
    yield SHEET_START
    for _ in range(megabytes):
        yield chunk
    yield SHEET_END


def _peak_bytes_while_reading(path: Path) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(LedgerRejected):
            read_ledger_file(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_workbook_is_refused_before_its_sheet_is_parsed(tmp_path: Path) -> None:
    bomb = _workbook_with_sheet(tmp_path / "bomb.xlsx", _filler(300))
    assert bomb.stat().st_size < 4 * 2**20  # a small file ...

    message = _refusal(bomb)

    # ... that would unpack to 300 MiB: refused by what its entries declare
    assert "解压后超过 64.0 MiB 上限（300.0 MiB）" in message
    assert "unpacks to more than 64.0 MiB (300.0 MiB)" in message
    assert f"{SHEET} 解压后是压缩大小的" in message
    assert _peak_bytes_while_reading(bomb) < 16 * 2**20


def test_a_workbook_entry_packed_far_tighter_than_any_ledger_is_refused(tmp_path: Path) -> None:
    dense = _workbook_with_sheet(tmp_path / "dense.xlsx", _filler(20), level=9)

    message = _refusal(dense)

    assert "unpacks to more than" not in message  # 20 MiB is within the size limit
    assert f"{SHEET} unpacks to" in message and "times its packed size, more than 100" in message


def _declare_unpacked_size(path: Path, name: str, size: int) -> None:
    """Overwrite the size the central directory declares for `name` (a forged zip)."""
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    count, _, offset = struct.unpack_from("<HII", data, end + 10)
    for _ in range(count):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46 : offset + 46 + name_length].decode() == name:
            struct.pack_into("<I", data, offset + 24, size)
        offset += 46 + name_length + extra_length + comment_length
    path.write_bytes(data)


def test_a_sheet_that_declares_less_than_it_holds_is_not_unpacked_past_that(
    tmp_path: Path,
) -> None:
    forged = _workbook_with_sheet(tmp_path / "forged.xlsx", _filler(200))
    _declare_unpacked_size(forged, SHEET, 4096)

    message = _refusal(forged)

    assert "cannot open workbook: Bad CRC-32 for file 'xl/worksheets/sheet1.xml'" in message
    assert _peak_bytes_while_reading(forged) < 16 * 2**20


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_a_file_larger_than_the_limit_is_refused_naming_both_sizes(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"big{suffix}"
    with path.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written

    message = _refusal(path)

    assert message.startswith("file: 文件超过 32.0 MiB 上限（32.0 MiB）")
    assert f"file larger than 32.0 MiB (32.0 MiB, {MAX_FILE_BYTES + 1} bytes)" in message


def _csv(path: Path, rows: Iterable[list[str]]) -> Path:
    path.write_text("\n".join(",".join(row) for row in [HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _row(number: int) -> list[str]:
    return [str(number), "问题", "措施", "县卫健局", "2026年6月底"]


def test_a_csv_with_more_rows_than_the_limit_names_the_limit_and_its_last_row(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path / "long.csv", (_row(n) for n in range(1, MAX_ROWS + 6)))

    message = _refusal(path)

    # the header is row 1: 20,005 issues end on row 20,006
    assert f"超过 {MAX_ROWS} 行上限（内容直到第 {MAX_ROWS + 6} 行）" in message
    assert f"more than {MAX_ROWS} rows (content down to row {MAX_ROWS + 6})" in message


def test_rows_up_to_the_limit_are_read(tmp_path: Path) -> None:
    path = _csv(tmp_path / "full.csv", (_row(n) for n in range(1, MAX_ROWS)))

    _, rows = read_ledger_file(path)

    assert len(rows) == MAX_ROWS - 1 and rows[-1].row == MAX_ROWS


def test_a_row_wider_than_the_column_limit_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = _csv(tmp_path / "wide.csv", [_row(1), _row(2) + ["备注"] * (MAX_COLUMNS - 4)])

    message = _refusal(path)

    assert f"row 3, columns: 超过 {MAX_COLUMNS} 列上限（{MAX_COLUMNS + 1} 列）" in message


def test_more_cells_than_the_limit_are_refused_counting_them_all(tmp_path: Path) -> None:
    width = 51  # 20,000 rows of 51 cells: 1,020,000 cells
    path = tmp_path / "cells.csv"
    path.write_text(
        ",".join(HEADER + ["x"] * (width - 5)) + "\n" + ("a," * (width - 1) + "a\n") * MAX_ROWS
    )

    message = _refusal(path)

    found = (MAX_ROWS + 1) * width
    assert f"超过 {MAX_CELLS} 个单元格上限（{found} 个有内容）" in message
    assert f"more than {MAX_CELLS} cells ({found} with content)" in message


def test_a_csv_cell_longer_than_the_csv_reader_takes_is_refused_naming_its_row(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path / "cell.csv", [_row(1), [*_row(2)[:1], "问" * 200_000, *_row(2)[2:]]])

    message = _refusal(path)

    assert message.startswith("row 3, CSV: 无法读取 / cannot read: field larger than field limit")


def test_a_csv_with_a_byte_order_mark_is_still_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff".encode() + (",".join(HEADER) + "\n" + ",".join(_row(1))).encode())

    headers, rows = read_ledger_file(path)

    assert headers["number"] == "问题编号" and rows[0].cells["反馈问题"] == "问题"


def test_formatting_down_to_the_last_sheet_cell_reads_only_the_rows_with_content(
    tmp_path: Path,
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(_row(1))
    sheet.cell(1_048_576, 16_384).number_format = "@"  # the sheet now ends at XFD1048576
    path = tmp_path / "formatted.xlsx"
    workbook.save(path)

    headers, rows = read_ledger_file(path)

    assert headers["problem"] == "反馈问题"
    assert [(raw.row, raw.cells["反馈问题"]) for raw in rows] == [(2, "问题")]


def test_merged_cells_of_a_streamed_sheet_are_copied_over_their_range(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["某县医疗领域专项整治反馈问题整改台账"])
    sheet.merge_cells("A1:E1")
    sheet.append(HEADER)
    sheet.append([1, "问题一", "措施甲", "县卫健局", "2026年3月上旬"])
    sheet.append([2, "问题二", "措施乙", None, "2026年6月底"])
    sheet.merge_cells("D3:D4")
    path = tmp_path / "merged.xlsx"
    workbook.save(path)

    headers, rows = read_ledger_file(path)

    assert headers["responsible"] == "责任单位"
    assert [(raw.row, raw.cells["问题编号"], raw.cells["责任单位"]) for raw in rows] == [
        (3, 1, "县卫健局"),
        (4, 2, "县卫健局"),
    ]


def test_a_merged_range_over_the_whole_sheet_is_refused_by_the_cell_limit(
    tmp_path: Path,
) -> None:
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>1</t></is></c></row>'
    merge = b'<mergeCells count="1"><mergeCell ref="A2:XFD1048576"/></mergeCells>'
    path = _workbook_with_sheet(
        tmp_path / "merged.xlsx", [SHEET_START, row, b"</sheetData>", merge, b"</worksheet>"]
    )

    message = _refusal(path)

    assert f"超过 {MAX_CELLS} 个单元格上限" in message


def test_damaged_sheet_xml_is_refused_naming_the_rows_read(tmp_path: Path) -> None:
    bad = b'<row><c t="inlineStr"><is><t>&#0;</t></is></c></row>'
    path = _workbook_with_sheet(
        tmp_path / "nul.xlsx", [SHEET_START, FILLER_ROW * 2000, bad, SHEET_END]
    )

    message = _refusal(path)

    assert message.startswith("file: cannot read workbook after row ")
    assert "reference to invalid character number" in message


def test_a_file_that_is_no_zip_is_refused_as_no_workbook(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    path.write_text("问题编号,反馈问题")

    assert "不是有效的 xlsx 文件 / not an xlsx workbook" in _refusal(path)


def test_json_with_more_objects_than_rows_allowed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.json"
    item = {"number": "1", "problem": "p", "measures": "m", "responsible": "r", "deadline": "d"}
    path.write_text(json.dumps([item] * (MAX_ROWS + 1)))

    message = _refusal(path)

    assert f"超过 {MAX_ROWS} 行上限（{MAX_ROWS + 1} 行）" in message


def test_json_objects_past_the_limits_are_counted_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"issues": [{"a": 1}] * (3 * MAX_ROWS)}))

    message = _refusal(path)

    assert f"more than {MAX_ROWS} rows ({3 * MAX_ROWS + 1} objects)" in message


def test_json_with_more_different_keys_than_columns_allowed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([{f"k{n}": "v"} for n in range(MAX_COLUMNS + 1)]))

    message = _refusal(path)

    assert f"columns: 超过 {MAX_COLUMNS} 列上限（{MAX_COLUMNS + 1} 个不同的键）" in message


def test_json_nested_deeper_than_python_reads_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)

    assert "JSON 嵌套过深 / JSON nested too deeply" in _refusal(path)


def test_a_json_number_of_more_digits_than_python_reads_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "digits.json"
    path.write_text('[{"number": ' + "1" * 5000 + "}]")

    assert _refusal(path).startswith("file: not JSON")


def test_a_file_that_cannot_be_read_is_refused_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _csv(tmp_path / "ledger.csv", [_row(1)])

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)  # as root, chmod would not stop a read

    assert "无法读取文件 / cannot read the file: [Errno 13] Permission denied" in _refusal(path)
