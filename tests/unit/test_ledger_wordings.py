"""Wordings of real ledgers (docs/decisions/0024): headers with notes and other names,
measures numbered without separators, deadlines as officials write them, and agency names
shown as written. Pure functions and the in-memory store, no files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from domain.agencies import AgencyKind
from domain.application import RectifyApp
from domain.deadlines import DeadlineKind, DeadlineParseError, parse_deadline
from domain.errors import InvalidInput, UnknownAgencies
from domain.ledger_rows import (
    LedgerRejected,
    RawRow,
    check_rows,
    ledger_year,
    map_headers,
    read_rows,
    responsible_names,
    split_measures,
    split_responsible,
)
from domain.names import agency_id, display_name, normalise_name

# -- headers ----------------------------------------------------------------------------

COLUMNS = {
    "number": "问题编号",
    "problem": "反馈问题",
    "measures": "整改措施",
    "responsible": "责任单位",
    "deadline": "完成时限",
}


def _columns_with(field: str, header: str) -> list[str]:
    """A ledger's header row with `header` as the column of `field`."""
    field = "responsible" if field == "lead" else field
    return [header if name == field else written for name, written in COLUMNS.items()]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("责任单位（部门）", "responsible"),
        ("责任单位(部门)", "responsible"),
        ("完成时限（时间）", "deadline"),
        ("整改时限(完成时间)", "deadline"),
        ("整改措施【具体】", "measures"),
        ("完成时限/时间节点", "deadline"),
    ],
)
def test_a_header_with_a_bracketed_note_is_its_field(header: str, field: str) -> None:
    headers, problems = map_headers(_columns_with(field, header))
    assert problems == []
    assert headers[field] == header


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("序号", "number"),
        ("编号", "number"),
        ("问题", "problem"),
        ("存在问题", "problem"),
        ("问题描述", "problem"),
        ("反馈问题", "problem"),
        ("问题表现", "problem"),
        ("整改措施", "measures"),
        ("整改举措", "measures"),
        ("整改任务", "measures"),
        ("责任单位", "responsible"),
        ("责任部门", "responsible"),
        ("牵头单位", "lead"),
        ("完成时限", "deadline"),
        ("整改时限", "deadline"),
        ("完成时间", "deadline"),
        ("整改期限", "deadline"),
    ],
)
def test_common_header_wordings_name_their_field(header: str, field: str) -> None:
    headers, problems = map_headers(_columns_with(field, header))
    assert problems == []
    assert headers[field] == header


def test_a_column_of_people_is_not_read_as_agencies() -> None:
    headers, problems = map_headers(
        ["序号", "存在问题", "整改举措", "责任领导", "责任单位", "责任人", "整改期限"]
    )
    assert problems == []
    assert headers["responsible"] == "责任单位"
    assert "责任领导" not in headers.values() and "责任人" not in headers.values()


def test_two_columns_for_one_field_are_refused_naming_both() -> None:
    _, problems = map_headers(["序号", "问题", "整改措施", "责任单位", "责任部门", "完成时限"])
    (problem,) = problems
    assert problem.column == "责任单位 / 责任部门"
    assert "'责任单位' and '责任部门'" in problem.message


def test_a_deadline_and_a_completion_date_column_are_ambiguous() -> None:
    _, problems = map_headers(["问题", "整改措施", "责任单位", "完成时限", "完成时间"])
    assert ["'完成时限' and '完成时间'" in p.message for p in problems] == [True]


def test_a_row_counter_gives_way_to_the_issue_number_without_ambiguity() -> None:
    headers, problems = map_headers(["序号", "编号", "问题", "整改措施", "责任单位", "完成时限"])
    assert problems == [] and headers["number"] == "编号"


# -- measures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("（一）开展专项检查（二）建立长效机制", ["开展专项检查", "建立长效机制"]),
        ("1.规范采购流程2.建立台账", ["规范采购流程", "建立台账"]),
        ("1、规范采购流程2、建立台账3、定期通报", ["规范采购流程", "建立台账", "定期通报"]),
        ("(1)规范采购流程(2)建立台账", ["规范采购流程", "建立台账"]),
        ("一、建立清单二、纳入考核", ["建立清单", "纳入考核"]),
        ("一是开展检查二是建立机制三是加强考核", ["开展检查", "建立机制", "加强考核"]),
        ("①建立清单②纳入考核", ["建立清单", "纳入考核"]),
        ("1.完成率达到100%2.建立台账", ["完成率达到100%", "建立台账"]),
    ],
)
def test_numbered_items_split_without_a_separator_before_the_next_number(
    text: str, items: list[str]
) -> None:
    assert split_measures(text) == items


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("1.于2026.3前完成排查2.建立台账", ["于2026.3前完成排查", "建立台账"]),
        ("1.安排资金1.5万元2.建立台账", ["安排资金1.5万元", "建立台账"]),
        ("1.按第1.2条执行2.建立台账", ["按第1.2条执行", "建立台账"]),
        ("1.对2、3级医院检查2.建立台账", ["对2、3级医院检查", "建立台账"]),
        ("一、对二、三级医院开展检查", ["对二、三级医院开展检查"]),
        ("（一）落实第（二）项要求（二）建立台账", ["落实第（二）项要求", "建立台账"]),
    ],
)
def test_dates_decimals_and_clause_numbers_inside_an_item_do_not_split_it(
    text: str, items: list[str]
) -> None:
    assert split_measures(text) == items


@pytest.mark.parametrize(
    "text",
    [
        "于2026.3完成排查",
        "安排资金1.5万元",
        "按第1.2条执行",
        "按第1、2条执行",
        "按2026.3.31前完成",
        "落实（二）级响应",
        "开展专项检查2.建立台账",  # a 2 with no 1 before it is not a list
    ],
)
def test_a_number_that_continues_no_list_is_text(text: str) -> None:
    assert split_measures(text) == [text]


# -- deadlines --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["立即整改", "即知即改", "立行立改", "长期坚持", "持续推进", "常态化", "每季度", "每月"]
)
def test_at_once_ongoing_and_periodic_wordings_have_no_due_date(text: str) -> None:
    deadline = parse_deadline(text, 2026)
    assert (deadline.kind, deadline.due_date, deadline.text) == (DeadlineKind.ONGOING, None, text)


@pytest.mark.parametrize("text", ["每月30日前", "每季度末", "每年12月底前"])
def test_a_cadence_with_a_day_is_ongoing_and_needs_no_year(text: str) -> None:
    assert parse_deadline(text).kind is DeadlineKind.ONGOING


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("2026年度", date(2026, 12, 31)),
        ("2026年", date(2026, 12, 31)),
        ("2026年上半年", date(2026, 6, 30)),
        ("2026年下半年", date(2026, 12, 31)),
        ("2026年第一季度", date(2026, 3, 31)),
        ("2026年三季度末", date(2026, 9, 30)),
        ("2026年6月底前", date(2026, 6, 30)),
        ("2026年12月", date(2026, 12, 31)),
        ("２０２６年６月３０日前", date(2026, 6, 30)),
        ("2026.6.30", date(2026, 6, 30)),
        ("2026/6/30", date(2026, 6, 30)),
        ("2026.6", date(2026, 6, 30)),
        ("2026年6月底前完成，此后每月报告", date(2026, 6, 30)),
    ],
)
def test_year_half_quarter_and_month_wordings_are_read(text: str, due: date) -> None:
    deadline = parse_deadline(text)
    assert (deadline.kind, deadline.due_date, deadline.text) == (DeadlineKind.DATE, due, text)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("6月30日前", date(2026, 6, 30)),
        ("一季度末", date(2026, 3, 31)),
        ("上半年", date(2026, 6, 30)),
        ("年底前", date(2026, 12, 31)),
        ("3月底前完成排查，6月底前全面整改", date(2026, 6, 30)),
        ("6月底前完成，此后每月报告", date(2026, 6, 30)),
    ],
)
def test_a_date_without_its_year_takes_the_year_given(text: str, due: date) -> None:
    deadline = parse_deadline(text, 2026)
    assert (deadline.due_date, deadline.text) == (due, text)


@pytest.mark.parametrize("text", ["6月30日前", "一季度末", "立行立改，6月底前完成"])
def test_a_date_without_its_year_and_no_year_given_is_refused_as_no_year(text: str) -> None:
    with pytest.raises(DeadlineParseError, match=r"no year"):
        parse_deadline(text)


def test_a_year_from_which_a_cadence_starts_is_not_its_deadline() -> None:
    assert parse_deadline("自2026年起每季度报告").kind is DeadlineKind.ONGOING


@pytest.mark.parametrize("text", ["已完成", "2026年13月底", "另行通知"])
def test_unreadable_deadlines_are_still_refused(text: str) -> None:
    with pytest.raises(DeadlineParseError, match=f"cannot read '{text}'"):
        parse_deadline(text, 2026)


HEADERS = ["序号", "问题", "整改措施", "责任单位", "完成时限"]


def _rows(*deadlines: str) -> list[RawRow]:
    return [
        RawRow(
            n + 2, dict(zip(HEADERS, [str(n + 1), f"问题{n}", "措施", "县卫健局", d], strict=True))
        )
        for n, d in enumerate(deadlines)
    ]


def test_rows_with_a_yearless_deadline_note_the_year_assumed() -> None:
    headers, _ = map_headers(HEADERS)
    first, second = read_rows(headers, _rows("2026年3月底", "6月30日前"), year=2026)
    assert first.notes == []
    assert second.deadline.due_date == date(2026, 6, 30)
    assert second.deadline.text == "6月30日前"
    assert second.notes == [
        "row 3, 完成时限: '6月30日前' names no year; read as 2026-06-30 (未写年份，按2026年)"
    ]


def test_a_yearless_deadline_without_a_year_names_row_and_column() -> None:
    headers, _ = map_headers(HEADERS)
    with pytest.raises(LedgerRejected) as refused:
        read_rows(headers, _rows("一季度末"))
    assert [str(p) for p in refused.value.problems] == [
        "row 2, 完成时限: 无法识别时限'一季度末'（没有写明年份） / cannot read '一季度末' (no year)"
    ]


def test_the_ledger_year_is_the_earliest_year_its_deadlines_write() -> None:
    headers, _ = map_headers(HEADERS)
    assert ledger_year(headers, _rows("2027年3月底", "6月底前", "2026年12月31日")) == 2026
    assert ledger_year(headers, _rows("6月底前", "立行立改")) is None


# -- agency names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("  County   Health Bureau ", "County Health Bureau"),
        ("各县（市、区）人民政府", "各县（市、区）人民政府"),
        ("县 卫健局。", "县卫健局"),
        ("各县（市、区） 人民政府", "各县（市、区）人民政府"),
        ("县\u3000公安局", "县公安局"),
    ],
)
def test_a_display_name_keeps_the_name_as_written_with_spaces_collapsed(
    written: str, shown: str
) -> None:
    assert display_name(written) == shown
    assert normalise_name(shown) == normalise_name(written)  # the same agency either way


def test_responsible_names_keep_their_inner_spaces_and_full_width_brackets() -> None:
    assert split_responsible("County Health Bureau、各县（市、区）人民政府") == [
        "County Health Bureau",
        "各县（市、区）人民政府",
    ]


def test_every_name_of_every_row_is_listed_valid_or_not() -> None:
    headers, _ = map_headers(HEADERS)
    raw = _rows("2026年3月底", "2026年13月底")
    raw[1].cells["责任单位"] = "县废物管理中心、县卫健局"
    _, problems = check_rows(headers, raw)
    assert problems  # row 3 is bad, and its agencies are still listed
    assert responsible_names(headers, raw) == [
        (2, "责任单位", "县卫健局"),
        (3, "责任单位", "县废物管理中心"),
        (3, "责任单位", "县卫健局"),
    ]


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()


def test_imported_agencies_are_shown_as_written_with_ids_from_the_normalised_name(
    app: RectifyApp,
) -> None:
    headers, _ = map_headers(HEADERS)
    raw = _rows("2026年3月底")
    raw[0].cells["责任单位"] = "County  Health Bureau、各县（市、区）人民政府"
    report = app.import_ledger(
        "T", read_rows(headers, raw), actor="t", source="f", create_agencies=True
    )
    assert report.agencies_created == ["County Health Bureau", "各县（市、区）人民政府"]
    health = app.get_agency(agency_id("CountyHealthBureau"))  # the id as it always was
    assert health.name == "County Health Bureau"
    group = app.get_agency(agency_id("各县(市、区)人民政府"))
    assert (group.name, group.kind) == ("各县（市、区）人民政府", AgencyKind.GROUP)
    assert app.find_agency("county health bureau") is None  # case is part of the name
    assert app.find_agency("CountyHealthBureau") == health.id


def test_unknown_agencies_are_named_as_written(app: RectifyApp) -> None:
    headers, _ = map_headers(HEADERS)
    raw = _rows("2026年3月底")
    raw[0].cells["责任单位"] = "County Health Bureau"
    with pytest.raises(UnknownAgencies, match="County Health Bureau"):
        app.import_ledger("T", read_rows(headers, raw), actor="t", source="f")


def test_a_registered_agency_keeps_its_name_as_written(app: RectifyApp) -> None:
    result = app.register_agency(" City  Police ", actor="t", aliases=("Police  HQ",))
    agency = app.get_agency(result.id)
    assert (agency.name, agency.aliases) == ("City Police", ["Police HQ"])
    assert result.id == agency_id("CityPolice")


# -- group members ----------------------------------------------------------------------


def test_a_group_member_that_is_itself_a_group_is_refused(app: RectifyApp) -> None:
    towns = app.register_agency("各乡镇人民政府", actor="t").id
    members = app.register_agency("县综合监管协调机制各成员单位", actor="t").id
    with pytest.raises(InvalidInput, match="is a group") as refused:
        app.add_group_member(members, towns, "t")
    assert refused.value.field == "member"
    assert app.get_agency(members).member_ids == []


@pytest.mark.parametrize(
    "text",
    [
        "一、医疗机构管理方面",
        "二．医保基金监管",
        "（三）药品耗材采购",
        "(四)医务人员行为",
        "第二部分 整改任务",
        "医疗服务领域问题",
        "行风建设方面存在的问题：",
    ],
)
def test_a_row_holding_only_a_section_heading_is_skipped(text: str) -> None:
    from domain.ledger_rows import RawRow, skip_headings

    kept, notes = skip_headings([RawRow(3, {"序号": text, "反馈问题": text, "整改措施": ""})])
    assert kept == [] and notes == [f"row 3: skipped, a section heading '{text}'"]


def test_sign_off_lines_under_the_table_are_skipped() -> None:
    from domain.ledger_rows import RawRow, skip_headings

    rows = [
        RawRow(9, {"序号": "填报人：张三  联系电话：0000-1234567"}),
        RawRow(10, {"序号": "审核人：李四", "完成时限": "填报日期：2026年12月2日"}),
    ]
    kept, notes = skip_headings(rows)
    assert kept == [] and len(notes) == 2


@pytest.mark.parametrize(
    "cells",
    [
        {"序号": "1", "反馈问题": "一、医疗机构管理不规范", "整改措施": "开展检查"},
        {"序号": "违规收费"},  # one text, no heading: an incomplete issue, refused later
        {"序号": "填报人：张三", "反馈问题": "违规收费"},
    ],
)
def test_rows_that_are_not_only_a_heading_stay(cells: dict[str, object]) -> None:
    from domain.ledger_rows import RawRow, skip_headings

    kept, notes = skip_headings([RawRow(4, cells)])
    assert len(kept) == 1 and notes == []
