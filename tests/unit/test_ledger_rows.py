"""Reading the cells of a rectification ledger (问题台账): pure functions, no files."""

from __future__ import annotations

from datetime import date

import pytest

from domain.deadlines import DeadlineKind
from domain.ledger_rows import (
    LedgerRejected,
    RawRow,
    RowProblem,
    map_headers,
    read_rows,
    split_measures,
    split_responsible,
)

CN_HEADERS = ["问题编号", "反馈问题", "整改措施", "责任部门", "完成时限"]
EN_HEADERS = ["number", "problem", "measures", "responsible", "deadline"]

# Cells of ../shared/samples/ledger_sample.csv, copied as written.
SAMPLE_MEASURES_1 = (
    "1.建立检验检查结果互认清单,每季度通报互认率。\n2.将重复检查纳入医疗机构绩效考核。"
)
SAMPLE_MEASURES_4 = "一是开展医保基金使用专项检查;二是建立案件线索移送和协作查处机制。"
SAMPLE_MEASURES_5 = "制定不良执业行为记分实施方案,对检查发现的问题扣分并通报。"


def _cn_row(row: int, number: str, deadline: str, **cells: str) -> RawRow:
    values = {
        "问题编号": number,
        "反馈问题": "部分医疗机构未落实检验检查结果互认,重复检查问题群众反映强烈。",
        "整改措施": SAMPLE_MEASURES_1,
        "责任部门": "县卫健局、县医疗保障局",
        "完成时限": deadline,
    }
    values.update(cells)
    return RawRow(row, dict(values))


def _cn_headers() -> dict[str, str]:
    headers, problems = map_headers(CN_HEADERS)
    assert problems == []
    return headers


# -- measures ---------------------------------------------------------------------------


def test_measures_json_list_is_taken_as_is() -> None:
    assert split_measures(["建立清单", " 纳入考核 ", ""]) == ["建立清单", "纳入考核"]


def test_measures_json_text_is_decoded() -> None:
    assert split_measures('["建立清单", "纳入考核"]') == ["建立清单", "纳入考核"]


def test_measures_text_that_only_looks_like_json_is_one_measure() -> None:
    assert split_measures("[待补充] 建立清单") == ["[待补充] 建立清单"]


def test_measures_split_at_line_breaks() -> None:
    assert split_measures("建立清单\r\n\r\n纳入考核\n") == ["建立清单", "纳入考核"]


def test_measures_split_at_numbered_lines_from_the_sample() -> None:
    assert split_measures(SAMPLE_MEASURES_1) == [
        "建立检验检查结果互认清单,每季度通报互认率。",
        "将重复检查纳入医疗机构绩效考核。",
    ]


def test_measures_split_at_numbers_within_one_line() -> None:
    assert split_measures("1. 建立清单 2. 纳入考核") == ["建立清单", "纳入考核"]


def test_measures_split_at_number_with_dunhao() -> None:
    assert split_measures("1、建立清单；2、纳入考核") == ["建立清单", "纳入考核"]


def test_measures_split_at_two_digit_numbers() -> None:
    assert split_measures("10.建立清单；11.纳入考核") == ["建立清单", "纳入考核"]


def test_measures_split_at_bracketed_chinese_numbers() -> None:
    assert split_measures("（一）建立清单；（二）纳入考核") == ["建立清单", "纳入考核"]


def test_measures_split_at_bracketed_digits() -> None:
    assert split_measures("(1)建立清单；(2)纳入考核") == ["建立清单", "纳入考核"]


def test_measures_split_at_chinese_number_with_dunhao() -> None:
    assert split_measures("一、建立清单\n二、纳入考核") == ["建立清单", "纳入考核"]


def test_measures_split_at_yishi_ershi_from_the_sample() -> None:
    assert split_measures(SAMPLE_MEASURES_4) == [
        "开展医保基金使用专项检查",
        "建立案件线索移送和协作查处机制。",
    ]


def test_measures_split_at_yishi_ershi_after_commas() -> None:
    assert split_measures("一是开展检查，二是建立机制，三是加强考核。") == [
        "开展检查",
        "建立机制",
        "加强考核。",
    ]


def test_measures_split_at_circled_numbers_after_a_separator() -> None:
    assert split_measures("①建立清单；②纳入考核") == ["建立清单", "纳入考核"]


def test_measures_split_at_circled_numbers_without_a_separator() -> None:
    assert split_measures("①建立清单②纳入考核③通报") == ["建立清单", "纳入考核", "通报"]


def test_measures_text_before_the_first_number_is_its_own_item() -> None:
    assert split_measures("全面整改：1.建立清单；2.纳入考核") == [
        "全面整改：",
        "建立清单",
        "纳入考核",
    ]


def test_single_measure_from_the_sample_is_not_split() -> None:
    assert split_measures(SAMPLE_MEASURES_5) == [SAMPLE_MEASURES_5]


@pytest.mark.parametrize(
    "text",
    [
        "对查实问题发现一起、通报一起、查处一起。",
        "开展三、四级医院检查",
        "按照1、2级标准执行",
        "完成率达到95.5%",
        "完成率达到 95.5%",
        "时间：1.5小时内响应",
        "统一是非标准",
    ],
)
def test_numbers_inside_a_sentence_do_not_split_it(text: str) -> None:
    assert split_measures(text) == [text]


def test_yishi_ershi_inside_a_numbered_measure_stay_in_it() -> None:
    assert split_measures("1.加强监管。一是开展检查；二是建立台账。2.完善制度") == [
        "加强监管。一是开展检查；二是建立台账。",
        "完善制度",
    ]


# As ../shared/seeds/004_… writes a task (line break where the plan wraps it).
PLAN_TASKS = (
    "（三）治理医疗服务中的违法违规行为。一是开展“合理用药、合理检查、合理治疗”专项整治行动，"
    "查处诱导消费和不合\n理诊疗行为。二是加强医务人员规范检查、规范治疗、合理用药等执业行为的"
    "监督检查。三是开展规范医疗机构收费行为专项检查。\n"
    "（四）加强医疗机构内部管理。一是落实院务公开；二是规范药品耗材采购。"
)


def test_sub_points_of_a_plans_bracketed_tasks_stay_in_their_task() -> None:
    assert split_measures(PLAN_TASKS) == [
        "治理医疗服务中的违法违规行为。一是开展“合理用药、合理检查、合理治疗”专项整治行动，"
        "查处诱导消费和不合\n理诊疗行为。二是加强医务人员规范检查、规范治疗、合理用药等执业行为的"
        "监督检查。三是开展规范医疗机构收费行为专项检查。",
        "加强医疗机构内部管理。一是落实院务公开；二是规范药品耗材采购。",
    ]


def test_numbered_sub_points_inside_yishi_stay_in_it() -> None:
    assert split_measures("一是加强监管：1.开展检查；2.建立台账。二是完善制度。") == [
        "加强监管：1.开展检查；2.建立台账。",
        "完善制度。",
    ]


def test_sub_point_lines_continue_the_numbered_measure_above_them() -> None:
    text = "1.加强监管：\n（1）开展检查；\n（2）建立台账。\n2.完善制度。"
    assert split_measures(text) == ["加强监管：\n（1）开展检查；\n（2）建立台账。", "完善制度。"]


def test_yishi_ershi_without_outer_numbering_are_the_measures() -> None:
    assert split_measures("一是开展检查；二是建立台账。\n三是完善制度。") == [
        "开展检查",
        "建立台账。",
        "完善制度。",
    ]


def test_unnumbered_lines_are_each_a_measure_with_their_sub_points() -> None:
    text = "加强监管。一是开展检查；二是建立台账。\n完善制度。一是修订办法；二是加强考核。"
    assert split_measures(text) == [
        "加强监管。一是开展检查；二是建立台账。",
        "完善制度。一是修订办法；二是加强考核。",
    ]


def test_a_json_list_item_loses_its_own_number_as_the_cell_text_would() -> None:
    text = "1.加强监管。一是开展检查；二是建立台账。\n2.完善制度"
    listed = ["1.加强监管。一是开展检查；二是建立台账。", "2.完善制度"]
    assert split_measures(listed) == split_measures(text)
    assert split_measures(["2026.3前完成排查", "1.5万元专项资金"]) == [
        "2026.3前完成排查",
        "1.5万元专项资金",
    ]


@pytest.mark.parametrize("value", [None, "", "  \n "])
def test_empty_measures_give_no_items(value: object) -> None:
    assert split_measures(value) == []


# -- responsible agencies ---------------------------------------------------------------


def test_responsible_split_at_dunhao() -> None:
    assert split_responsible("县卫健局、县医疗保障局") == ["县卫健局", "县医疗保障局"]


@pytest.mark.parametrize("separator", ["、", ",", "，", ";", "；", "\n", "\r\n", "/"])
def test_responsible_split_at_each_separator(separator: str) -> None:
    assert split_responsible(f"县卫健局{separator}县公安局") == ["县卫健局", "县公安局"]


def test_responsible_with_mixed_separators_from_the_sample() -> None:
    assert split_responsible("县纪委监委,县卫健局、县公安局") == [
        "县纪委监委",
        "县卫健局",
        "县公安局",
    ]


def test_responsible_trailing_full_stop_is_dropped() -> None:
    assert split_responsible("县医疗保障局,县卫健局,县公安局,各乡镇人民政府。") == [
        "县医疗保障局",
        "县卫健局",
        "县公安局",
        "各乡镇人民政府",
    ]


def test_responsible_stray_spaces_are_dropped() -> None:
    assert split_responsible(" 县卫健局 、 县 公安局 ") == ["县卫健局", "县公安局"]


def test_responsible_empty_parts_are_dropped() -> None:
    assert split_responsible("县卫健局、、县公安局、") == ["县卫健局", "县公安局"]


def test_responsible_brackets_are_not_split() -> None:
    assert split_responsible("各县(市、区)人民政府、市卫健委") == [
        "各县(市、区)人民政府",
        "市卫健委",
    ]


def test_responsible_full_width_brackets_are_not_split() -> None:
    assert split_responsible("市卫健委，各县（市、区）人民政府") == [
        "市卫健委",
        "各县（市、区）人民政府",
    ]


def test_responsible_duplicates_are_dropped_keeping_the_first() -> None:
    assert split_responsible("县卫健局、县公安局、县卫健局。") == ["县卫健局", "县公安局"]


@pytest.mark.parametrize("value", [None, "", " 。"])
def test_empty_responsible_gives_no_names(value: object) -> None:
    assert split_responsible(value) == []


# -- headers ----------------------------------------------------------------------------


def test_chinese_headers_are_mapped() -> None:
    headers, problems = map_headers(CN_HEADERS)
    assert problems == []
    assert headers == {
        "number": "问题编号",
        "problem": "反馈问题",
        "measures": "整改措施",
        "responsible": "责任部门",
        "deadline": "完成时限",
    }


def test_english_headers_are_mapped_ignoring_case() -> None:
    headers, problems = map_headers(["Number", "PROBLEM", "Measures", "Responsible", "Deadline"])
    assert problems == []
    assert headers["problem"] == "PROBLEM"
    assert headers["deadline"] == "Deadline"


def test_zeren_danwei_is_accepted_for_responsible() -> None:
    headers, problems = map_headers(["问题编号", "反馈问题", "整改措施", "责任单位", "完成时限"])
    assert problems == []
    assert headers["responsible"] == "责任单位"


def test_headers_with_spaces_and_marks_are_mapped() -> None:
    headers, problems = map_headers(
        ["问题编号", " 反馈问题 ", "整改措施*", "责任部门：", "完成时限"]
    )
    assert problems == []
    assert headers["problem"] == " 反馈问题 "
    assert headers["measures"] == "整改措施*"


def test_lead_and_co_columns_replace_responsible() -> None:
    headers, problems = map_headers(["反馈问题", "整改措施", "牵头单位", "配合单位", "完成时限"])
    assert problems == []
    assert headers["lead"] == "牵头单位"
    assert headers["co"] == "配合单位"


def test_missing_deadline_column_is_reported() -> None:
    _, problems = map_headers(["问题编号", "反馈问题", "整改措施", "责任部门"])
    assert problems == [RowProblem(0, "完成时限 / deadline", "缺少此列 / column is missing")]
    assert str(problems[0]) == "完成时限 / deadline: 缺少此列 / column is missing"


def test_missing_responsible_column_is_reported() -> None:
    _, problems = map_headers(["问题编号", "反馈问题", "整改措施", "完成时限"])
    assert problems == [RowProblem(0, "责任部门 / responsible", "缺少此列 / column is missing")]


def test_every_missing_column_is_reported() -> None:
    _, problems = map_headers(["备注"])
    assert {p.column for p in problems} == {
        "反馈问题 / problem",
        "整改措施 / measures",
        "完成时限 / deadline",
        "责任部门 / responsible",
    }


# -- rows -------------------------------------------------------------------------------


def test_rows_of_the_sample_are_read() -> None:
    rows = read_rows(
        _cn_headers(),
        [
            _cn_row(2, "1", "2026年3月底。"),
            _cn_row(
                5,
                "4",
                "2025年12月下旬",
                整改措施=SAMPLE_MEASURES_4,
                责任部门="县医疗保障局,县卫健局,县公安局,各乡镇人民政府。",
            ),
            _cn_row(
                8,
                "7",
                "立行立改,长期坚持。",
                责任部门="县卫健局、县公安局、县市场监管局,各乡镇人民政府",
            ),
        ],
    )
    first, fourth, seventh = rows
    assert (first.row, first.number, first.lead, first.co) == (2, "1", "县卫健局", ["县医疗保障局"])
    assert first.measures == [
        "建立检验检查结果互认清单,每季度通报互认率。",
        "将重复检查纳入医疗机构绩效考核。",
    ]
    assert first.deadline.due_date == date(2026, 3, 31)
    assert first.deadline.text == "2026年3月底。"
    assert first.headers["number"] == "问题编号"
    assert fourth.lead == "县医疗保障局"
    assert fourth.co == ["县卫健局", "县公安局", "各乡镇人民政府"]
    assert fourth.deadline.due_date == date(2025, 12, 31)
    assert seventh.deadline.kind is DeadlineKind.ONGOING
    assert seventh.co == ["县公安局", "县市场监管局", "各乡镇人民政府"]


def test_english_rows_with_a_measures_list_are_read() -> None:
    headers, _ = map_headers(EN_HEADERS)
    rows = read_rows(
        headers,
        [
            RawRow(
                1,
                {
                    "number": 3.0,
                    "problem": "问题",
                    "measures": ["措施一", "措施二"],
                    "responsible": "县卫健局",
                    "deadline": "2026-02-28",
                },
            )
        ],
    )
    assert rows[0].number == "3"
    assert rows[0].measures == ["措施一", "措施二"]
    assert rows[0].co == []


def test_rows_without_number_column_are_numbered_by_position() -> None:
    headers, _ = map_headers(["反馈问题", "整改措施", "责任部门", "完成时限"])
    cells = {"反馈问题": "问题", "整改措施": "措施", "责任部门": "县卫健局", "完成时限": "2026年底"}
    rows = read_rows(headers, [RawRow(2, dict(cells)), RawRow(3, dict(cells))])
    assert [r.number for r in rows] == ["1", "2"]


def test_lead_and_co_columns_make_lead_and_co_responsible() -> None:
    headers, _ = map_headers(["反馈问题", "整改措施", "牵头单位", "配合单位", "完成时限"])
    rows = read_rows(
        headers,
        [
            RawRow(
                2,
                {
                    "反馈问题": "问题",
                    "整改措施": "措施",
                    "牵头单位": "县卫健局",
                    "配合单位": "县公安局、县卫健局",
                    "完成时限": "2026年底",
                },
            )
        ],
    )
    assert (rows[0].lead, rows[0].co) == ("县卫健局", ["县公安局"])


def test_blank_lines_are_skipped() -> None:
    blank = RawRow(3, dict.fromkeys(CN_HEADERS, ""))
    empty = RawRow(4, dict.fromkeys(CN_HEADERS))
    rows = read_rows(_cn_headers(), [_cn_row(2, "1", "2026年3月底"), blank, empty])
    assert [r.row for r in rows] == [2]


def test_bad_deadline_is_reported_with_row_and_column() -> None:
    with pytest.raises(LedgerRejected) as rejected:
        read_rows(_cn_headers(), [_cn_row(2, "1", "2026年3月底"), _cn_row(4, "3", "2021年13月底")])
    assert [str(p) for p in rejected.value.problems] == [
        "row 4, 完成时限: 无法识别时限'2021年13月底'（日期不存在） / "
        "cannot read '2021年13月底' (no such date: bad month number 13; must be 1-12)"
    ]
    assert str(rejected.value).startswith("row 4, 完成时限: 无法识别时限'2021年13月底'")


def test_every_problem_of_every_row_is_reported() -> None:
    with pytest.raises(LedgerRejected) as rejected:
        read_rows(
            _cn_headers(),
            [
                _cn_row(2, "1", "6月底"),
                _cn_row(3, "", "2026年底", 反馈问题="", 整改措施=" ", 责任部门="。"),
                _cn_row(4, "1", ""),
            ],
        )
    assert [(p.row, p.column) for p in rejected.value.problems] == [
        (2, "完成时限"),
        (3, "问题编号"),
        (3, "反馈问题"),
        (3, "整改措施"),
        (3, "责任部门"),
        (4, "问题编号"),
        (4, "完成时限"),
    ]
    messages = [str(p) for p in rejected.value.problems]
    assert (
        messages[0]
        == "row 2, 完成时限: 无法识别时限'6月底'（没有写明年份） / cannot read '6月底' (no year)"
    )
    assert messages[4] == "row 3, 责任部门: 没有责任单位 / no responsible agency"
    assert messages[5] == "row 4, 问题编号: 编号'1'与第2行重复 / '1' repeats row 2"
    assert messages[6] == "row 4, 完成时限: 无法识别时限''（不能为空） / cannot read '' (empty)"


def test_duplicate_number_is_reported_with_the_first_row() -> None:
    with pytest.raises(LedgerRejected) as rejected:
        read_rows(_cn_headers(), [_cn_row(2, "A-1", "2026年底"), _cn_row(7, " A-1 ", "2026年底")])
    assert [str(p) for p in rejected.value.problems] == [
        "row 7, 问题编号: 编号'A-1'与第2行重复 / 'A-1' repeats row 2"
    ]


def test_english_problems_name_the_english_column() -> None:
    headers, _ = map_headers(EN_HEADERS)
    cells: dict[str, object] = {
        "number": "1",
        "problem": "问题",
        "measures": "措施",
        "responsible": "县卫健局",
        "deadline": "2021年13月底",
    }
    with pytest.raises(LedgerRejected) as rejected:
        read_rows(headers, [RawRow(4, cells)])
    assert str(rejected.value.problems[0]).startswith("row 4, deadline: 无法识别时限'2021年13月底'")


def test_ledger_of_only_blank_lines_is_refused() -> None:
    with pytest.raises(LedgerRejected) as rejected:
        read_rows(_cn_headers(), [RawRow(2, dict.fromkeys(CN_HEADERS, ""))])
    assert [str(p) for p in rejected.value.problems] == ["file: 文件中没有数据行 / no rows"]


# -- found in acceptance: real plans' layouts --------------------------------------------


def test_issue_number_column_wins_over_a_row_counter() -> None:
    mapped, problems = map_headers(
        ["序号", "问题编号", "反馈问题", "整改措施", "责任单位", "完成时限"]
    )
    assert not problems and mapped["number"] == "问题编号"


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        (
            "县卫健局牵头，县医疗保障局、县市场监管局参与",
            ["县卫健局", "县医疗保障局", "县市场监管局"],
        ),
        ("县卫健局、县发改局按职责分工负责", ["县卫健局", "县发改局"]),
        ("县卫健局（牵头）", ["县卫健局"]),
        ("牵头单位：县卫健局；配合单位：县医疗保障局", ["县卫健局", "县医疗保障局"]),
        ("县医保局、县卫健局（牵头）", ["县卫健局", "县医保局"]),
        ("县公安局等", ["县公安局"]),
        ("县综合监管协调机制各成员单位", ["县综合监管协调机制各成员单位"]),
    ],
)
def test_role_words_around_agency_names_are_dropped_and_the_marked_lead_leads(
    cell: str, names: list[str]
) -> None:
    assert split_responsible(cell) == names


def test_once_a_line_says_yishi_its_ershi_splits_without_punctuation() -> None:
    assert split_measures("一是开展抗菌药物专项点评二是对超常使用的医师约谈") == [
        "开展抗菌药物专项点评",
        "对超常使用的医师约谈",
    ]


def test_ershi_without_yishi_is_just_text() -> None:
    assert split_measures("这不是二是问题") == ["这不是二是问题"]


def test_a_problem_merged_over_rows_with_a_measure_per_row_is_one_issue() -> None:
    rows = read_rows(
        _cn_headers(),
        [
            _cn_row(3, "1", "2026年3月底", 整改措施="建立互认清单", 责任部门="县卫健局"),
            _cn_row(4, "1", "2026年6月底", 整改措施="纳入绩效考核", 责任部门="县医疗保障局"),
            _cn_row(5, "2", "2026年6月底"),
        ],
    )
    first = rows[0]
    assert [r.number for r in rows] == ["1", "2"]
    assert first.measures == ["建立互认清单", "纳入绩效考核"]
    assert (first.lead, first.co) == ("县卫健局", ["县医疗保障局"])
    assert first.deadline.due_date == date(2026, 6, 30)
    assert first.deadline.text == "2026年3月底；2026年6月底"


def test_a_repeated_number_with_another_problem_is_still_refused() -> None:
    with pytest.raises(LedgerRejected, match="'1' repeats row 3"):
        read_rows(
            _cn_headers(),
            [_cn_row(3, "1", "2026年3月底"), _cn_row(4, "1", "2026年3月底", 反馈问题="另一个问题")],
        )
