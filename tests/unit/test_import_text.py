"""Text no event may hold, in any cell of a ledger file, is a row problem naming the row and
the column, listed with every other problem (domain.text_rules says what is refused)."""

from __future__ import annotations

import json
from pathlib import Path

from domain.ledger_rows import (
    RawRow,
    RowProblem,
    check_rows,
    responsible_names,
    skip_headings,
)
from domain.text_rules import MAX_ITEMS, MAX_NAME, MAX_TEXT
from infrastructure.ledger_files import read_ledger_file

HEADER = ["问题编号", "反馈问题", "整改措施", "责任单位", "完成时限"]
GOOD = ["1", "问题", "措施", "县卫健局", "2026年6月底"]


def _problems(path: Path) -> list[str]:
    headers, raw_rows = read_ledger_file(path)
    raw_rows, _ = skip_headings(raw_rows)
    _, problems = check_rows(headers, raw_rows, 2026)
    return [str(p) for p in problems]


def _csv(tmp_path: Path, *rows: list[str]) -> Path:
    path = tmp_path / "ledger.csv"
    lines = [HEADER, *rows]
    path.write_text("\n".join(",".join(f'"{c}"' for c in row) for row in lines), encoding="utf-8")
    return path


def _json(tmp_path: Path, *items: dict[str, object]) -> Path:
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(list(items)))  # ensure_ascii: "\ud800" stays an escape
    return path


def _item(**changes: object) -> dict[str, object]:
    item: dict[str, object] = dict(zip(HEADER, GOOD, strict=True))
    item.update(changes)
    return item


def test_a_nul_in_a_csv_cell_is_a_row_problem_naming_the_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, GOOD, ["2", "问题\x00二", "措施", "县卫健局", "2026年6月底"])

    assert _problems(path) == [
        "row 3, 反馈问题: 含有空字符（U+0000），请删除后重试 / contains a NUL character (U+0000)"
    ]


def test_a_lone_surrogate_in_a_json_cell_is_a_row_problem(tmp_path: Path) -> None:
    path = _json(tmp_path, _item(), _item(问题编号="2", 整改措施="措施\ud800"))

    assert _problems(path) == [
        "row 2, 整改措施: 含有无效字符（孤立代理项 U+D800） / contains an invalid character"
        " (lone surrogate U+D800)"
    ]


def test_a_control_character_in_a_column_not_imported_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        ",".join([*HEADER, "备注"]) + "\n" + ",".join([*GOOD, "见附件\x07"]), encoding="utf-8"
    )

    assert _problems(path) == [
        "row 2, 备注: 含有控制字符（U+0007） / contains a control character (U+0007)"
    ]


def test_every_text_problem_of_every_row_is_listed_with_the_other_problems(
    tmp_path: Path,
) -> None:
    path = _csv(
        tmp_path,
        ["1", "问题\x01", "措施\x02", "县卫健局", "2026年6月底"],
        ["2", "问题", "措施", "县卫健局", "2026年13月底"],
        ["3", "问题", "措施\x1f", "县卫健局", "2026年6月底"],
    )

    problems = _problems(path)

    assert [p.split(":")[0] for p in problems] == [
        "row 2, 反馈问题",
        "row 2, 整改措施",
        "row 3, 完成时限",
        "row 4, 整改措施",
    ]


def test_a_problem_longer_than_free_text_allows_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["1", "问" * (MAX_TEXT + 1), "措施", "县卫健局", "2026年6月底"])

    assert _problems(path) == [
        f"row 2, 反馈问题: 超过 {MAX_TEXT} 个字符上限（{MAX_TEXT + 1} 个） / longer than"
        f" {MAX_TEXT} characters"
    ]


def test_a_problem_as_long_as_free_text_allows_is_read(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["1", "问" * MAX_TEXT, "措施", "县卫健局", "2026年6月底"])

    assert _problems(path) == []


def test_a_number_or_deadline_longer_than_a_name_allows_is_refused(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        ["1" * (MAX_NAME + 1), "问题", "措施", "县卫健局", "2026年6月底"],
        ["2", "问题", "措施", "县卫健局", "2026年6月底" + "前" * MAX_NAME],
    )

    assert _problems(path) == [
        f"row 2, 问题编号: 超过 {MAX_NAME} 个字符上限（{MAX_NAME + 1} 个） / longer than"
        f" {MAX_NAME} characters",
        f"row 3, 完成时限: 超过 {MAX_NAME} 个字符上限（{MAX_NAME + 8} 个） / longer than"
        f" {MAX_NAME} characters",
    ]


def test_an_agency_name_longer_than_a_name_allows_is_refused(tmp_path: Path) -> None:
    long_name = "县" * (MAX_NAME + 1)
    path = _csv(tmp_path, ["1", "问题", "措施", f"县卫健局、{long_name}", "2026年6月底"])

    (problem,) = _problems(path)

    assert problem.startswith(f"row 2, 责任单位: 超过 {MAX_NAME} 个字符上限")


def test_more_measures_than_a_list_holds_are_refused(tmp_path: Path) -> None:
    path = _json(tmp_path, _item(整改措施=[f"措施{n}" for n in range(MAX_ITEMS + 1)]))

    assert _problems(path) == [
        f"row 1, 整改措施: 超过 {MAX_ITEMS} 项上限（{MAX_ITEMS + 1} 项） / more than"
        f" {MAX_ITEMS} entries"
    ]


def test_more_co_responsible_agencies_than_a_list_holds_are_refused(tmp_path: Path) -> None:
    names = "、".join(f"第{n}局" for n in range(MAX_ITEMS + 1))
    path = _csv(tmp_path, ["1", "问题", "措施", names, "2026年6月底"])

    assert _problems(path) == [
        f"row 2, 责任单位: 超过 {MAX_ITEMS} 项上限（{MAX_ITEMS + 1} 项） / more than"
        f" {MAX_ITEMS} entries"
    ]


def test_measures_merged_over_continuation_rows_beyond_a_list_are_refused() -> None:
    fields = ["number", "problem", "measures", "responsible", "deadline"]
    headers = dict(zip(fields, HEADER, strict=True))
    raw_rows = [
        RawRow(
            n + 2,
            dict(zip(HEADER, ["1", "问题", f"措施{n}", "县卫健局", "2026年6月底"], strict=True)),
        )
        for n in range(MAX_ITEMS + 1)
    ]

    rows, problems = check_rows(headers, raw_rows)

    assert rows == []
    assert problems == [
        RowProblem(
            2,
            "整改措施",
            f"超过 {MAX_ITEMS} 项上限（{MAX_ITEMS + 1} 项） / more than {MAX_ITEMS} entries",
        )
    ]


def test_a_header_with_a_nul_is_named_once_escaped(tmp_path: Path) -> None:
    path = _json(tmp_path, _item(**{"备\x00注": "a"}), _item(问题编号="2", **{"备\x00注": "b"}))

    assert _problems(path) == [
        "row 1, 备\\x00注: 表头含有空字符（U+0000），请删除后重试"
        " / contains a NUL character (U+0000)"
    ]


def test_a_heading_like_row_with_a_control_character_is_refused_not_skipped(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path, ["一、医疗机构\x0b方面", "", "", "", ""], GOOD)

    assert _problems(path) == [
        "row 2, 问题编号: 含有控制字符（U+000B） / contains a control character (U+000B)"
    ]


def test_names_that_no_text_may_hold_are_not_looked_up_as_agencies() -> None:
    headers = {"responsible": "责任单位"}
    raw_rows = [RawRow(2, {"责任单位": "县卫健局、县\x00医保局"})]

    assert responsible_names(headers, raw_rows) == [(2, "责任单位", "县卫健局")]


def test_a_row_of_only_separator_controls_is_refused_not_dropped_as_blank(
    tmp_path: Path,
) -> None:
    """U+001C–U+001F are white space to str.strip, but no text may hold them."""
    path = _csv(tmp_path, GOOD, ["\x1f", "", "", "", ""])

    assert _problems(path) == [
        "row 3, 问题编号: 含有控制字符（U+001F） / contains a control character (U+001F)"
    ]
