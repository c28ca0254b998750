"""Importing a ledger into the in-memory event store: all or nothing, idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from domain.agencies import AgencyKind
from domain.application import RectifyApp
from domain.deadlines import DeadlineKind, parse_deadline
from domain.errors import UnknownAgencies
from domain.issues import IssueStatus
from domain.ledger_rows import LedgerRejected, LedgerRow, RawRow, map_headers, read_rows
from domain.names import agency_id, campaign_id, issue_id

CAMPAIGN = "医药领域腐败问题集中整治"
HEADERS = ["问题编号", "反馈问题", "整改措施", "责任部门", "完成时限"]

# The rows of ../shared/samples/ledger_sample.csv, cell by cell as written (row = sheet row).
SAMPLE: list[tuple[int, str, str, str, str, str]] = [
    (
        2,
        "1",
        "部分医疗机构未落实检验检查结果互认,重复检查问题群众反映强烈。",
        "1.建立检验检查结果互认清单,每季度通报互认率。\n2.将重复检查纳入医疗机构绩效考核。",
        "县卫健局、县医疗保障局",
        "2026年3月底。",
    ),
    (
        3,
        "2",
        '医务人员收受"红包"、回扣举报线索查处不及时,件件有回音未落实。',
        "1.设立举报专线和专用邮箱,实名举报件件回复。\n2.对查实问题发现一起、通报一起、查处一起。\n"
        "3.涉嫌违法犯罪的依法移交司法机关。",
        "县纪委监委,县卫健局、县公安局",
        "立行立改，长期坚持",
    ),
    (
        4,
        "3",
        "生活美容机构违规开展医疗美容服务,虚假医疗广告多发。",
        "1.市场监管部门开展医疗广告专项监测。\n2.发现无证开展医疗美容的及时通报卫生健康部门。",
        "县市场监管局、县卫健局、县委网信办",
        "2026年1月中旬",
    ),
    (
        5,
        "4",
        "欺诈骗保、挂名住院、串换项目等问题查处力度不够。",
        "一是开展医保基金使用专项检查;二是建立案件线索移送和协作查处机制。",
        "县医疗保障局,县卫健局,县公安局,各乡镇人民政府。",
        "2025年12月下旬",
    ),
    (
        6,
        "5",
        "不良执业行为记分制度尚未建立,监管结果未与校验、评审挂钩。",
        "制定不良执业行为记分实施方案,对检查发现的问题扣分并通报。",
        "县卫健局",
        "2026 年6月底",
    ),
    (
        7,
        "6",
        "医疗废物暂存设施不符合要求,交接登记不完整。",
        "1.全面排查医疗废物暂存点。\n2.督促与有资质处置单位签订合同。",
        "县卫健局、县生态环境局,县综合监管协调机制各成员单位",
        "2025年12月31日",
    ),
    (
        8,
        "7",
        '"黑诊所"、游医假医在城乡结合部、集市流动行医。',
        "1.卫生监督、公安、市场监管联合执法。\n2.涉嫌非法行医罪的移送公安机关。",
        "县卫健局、县公安局、县市场监管局,各乡镇人民政府",
        "立行立改,长期坚持。",
    ),
    (
        9,
        "8",
        "医疗服务中生、冷、硬、顶、推现象仍有发生,投诉处理闭环不完善。",
        "落实首问负责制,投诉按日登记、限期答复、按月分析。",
        "县卫健局",
        "2026-02-28",
    ),
]

SAMPLE_AGENCIES = {
    "县卫健局",
    "县医疗保障局",
    "县纪委监委",
    "县公安局",
    "县市场监管局",
    "县委网信办",
    "各乡镇人民政府",
    "县生态环境局",
    "县综合监管协调机制各成员单位",
}


def _rows(sample: list[tuple[int, str, str, str, str, str]] = SAMPLE) -> list[LedgerRow]:
    headers, problems = map_headers(HEADERS)
    assert problems == []
    raw = [RawRow(row, dict(zip(HEADERS, cells, strict=True))) for row, *cells in sample]
    return read_rows(headers, raw)


def _topics(app: RectifyApp) -> list[str]:
    return [n.topic for n in app.recorder.select_notifications(start=1, limit=1000)]


@pytest.fixture
def app() -> Iterator[RectifyApp]:
    application = RectifyApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()


def test_unknown_agencies_are_listed_and_nothing_is_saved(app: RectifyApp) -> None:
    app.register_agency("县卫健局", actor="admin")
    before = _topics(app)
    with pytest.raises(UnknownAgencies) as refused:
        app.import_ledger(CAMPAIGN, _rows(), actor="importer", source="ledger.csv")
    assert set(refused.value.names) == SAMPLE_AGENCIES - {"县卫健局"}
    assert refused.value.names[:2] == ["县医疗保障局", "县纪委监委"]  # in order of the file
    assert "unknown agencies: 县医疗保障局、县纪委监委" in str(refused.value)
    assert _topics(app) == before
    assert campaign_id(CAMPAIGN) not in app.repository


def test_create_agencies_imports_the_sample_in_one_go(app: RectifyApp) -> None:
    report = app.import_ledger(
        CAMPAIGN, _rows(), actor="importer", source="ledger.csv", create_agencies=True
    )
    assert report.campaign_created
    assert report.campaign_id == campaign_id(CAMPAIGN)
    assert set(report.agencies_created) == SAMPLE_AGENCIES
    assert len(report.created) == 8
    assert report.unchanged == []
    topics = _topics(app)
    assert topics.count("rectify:Agency.Registered") == len(SAMPLE_AGENCIES)
    assert topics.count("rectify:Campaign.Launched") == 1
    assert topics.count("rectify:Campaign.MemberAdded") == len(SAMPLE_AGENCIES)
    assert topics.count("rectify:RectificationIssue.Registered") == 8
    assert report.position == len(topics)


def test_created_groups_are_groups(app: RectifyApp) -> None:
    app.import_ledger(CAMPAIGN, _rows(), actor="importer", source="f", create_agencies=True)
    for name in ("各乡镇人民政府", "县综合监管协调机制各成员单位"):
        assert app.get_agency(agency_id(name)).kind is AgencyKind.GROUP
    for name in ("县卫健局", "县委网信办"):
        assert app.get_agency(agency_id(name)).kind is AgencyKind.AGENCY


def test_imported_issues_carry_lead_co_measures_and_deadline(app: RectifyApp) -> None:
    report = app.import_ledger(
        CAMPAIGN, _rows(), actor="importer", source="ledger.csv", create_agencies=True
    )
    fourth = app.get_issue(issue_id(report.campaign_id, "4"))
    assert fourth.status is IssueStatus.OPEN
    assert fourth.lead_agency_id == agency_id("县医疗保障局")
    assert fourth.co_agency_ids == [
        agency_id("县卫健局"),
        agency_id("县公安局"),
        agency_id("各乡镇人民政府"),
    ]
    assert fourth.measures == ["开展医保基金使用专项检查", "建立案件线索移送和协作查处机制。"]
    assert fourth.deadline.due_date == date(2025, 12, 31)
    assert fourth.deadline.text == "2025年12月下旬"
    second = app.get_issue(issue_id(report.campaign_id, "2"))
    assert second.deadline.kind is DeadlineKind.ONGOING
    assert len(second.measures) == 3
    third = app.get_issue(issue_id(report.campaign_id, "3"))
    assert third.deadline.due_date == date(2026, 1, 20)
    campaign = app.get_campaign(report.campaign_id)
    assert set(campaign.member_agency_ids) == {agency_id(n) for n in SAMPLE_AGENCIES}


def test_reimport_creates_no_duplicates(app: RectifyApp) -> None:
    first = app.import_ledger(CAMPAIGN, _rows(), actor="importer", source="f", create_agencies=True)
    topics = _topics(app)
    again = app.import_ledger(CAMPAIGN, _rows(), actor="importer", source="f", create_agencies=True)
    assert not again.campaign_created
    assert again.created == []
    assert again.agencies_created == []
    assert again.unchanged == first.created
    assert again.position is None
    assert _topics(app) == topics


def test_reimport_with_a_new_row_adds_only_that_row(app: RectifyApp) -> None:
    app.import_ledger(
        CAMPAIGN, _rows(SAMPLE[:7]), actor="importer", source="f", create_agencies=True
    )
    report = app.import_ledger(CAMPAIGN, _rows(), actor="importer", source="f")
    assert report.created == [issue_id(campaign_id(CAMPAIGN), "8")]
    assert len(report.unchanged) == 7
    assert _topics(app).count("rectify:RectificationIssue.Registered") == 8


def test_changed_content_for_an_existing_number_is_refused_naming_the_field(
    app: RectifyApp,
) -> None:
    app.import_ledger(
        CAMPAIGN, _rows(SAMPLE[:2]), actor="importer", source="f", create_agencies=True
    )
    topics = _topics(app)
    changed = [SAMPLE[0], (3, "2", "另一个问题", *SAMPLE[1][3:]), SAMPLE[2]]
    with pytest.raises(LedgerRejected) as refused:
        app.import_ledger(
            CAMPAIGN, _rows(changed), actor="importer", source="f", create_agencies=True
        )
    assert [str(p) for p in refused.value.problems] == [
        "row 3, 反馈问题: 与已登记的问题“2”不同 / differs from the stored issue '2': "
        '已登记为“医务人员收受"红包"、回扣举报线索查处不及时,件件有回音未落…” / '
        "stored as '医务人员收受\"红包\"、回扣举报线索查处不及时,件件有回音未落…'"
    ]
    assert _topics(app) == topics  # neither row 4 nor its new agency 县委网信办 was saved
    assert app.find_agency("县委网信办") is None


def test_changed_deadline_for_an_existing_number_is_refused_naming_the_deadline(
    app: RectifyApp,
) -> None:
    app.import_ledger(
        CAMPAIGN, _rows(SAMPLE[:1]), actor="importer", source="f", create_agencies=True
    )
    with pytest.raises(LedgerRejected) as refused:
        app.import_ledger(
            CAMPAIGN, _rows([(*SAMPLE[0][:5], "2026年4月底")]), actor="importer", source="f"
        )
    assert [str(p) for p in refused.value.problems] == [
        "row 2, 完成时限: 与已登记的问题“1”不同 / differs from the stored issue '1': "
        "已登记为“2026年3月底。” / stored as '2026年3月底。'"
    ]


def test_changed_measure_for_an_existing_number_is_refused_naming_the_measure(
    app: RectifyApp,
) -> None:
    app.import_ledger(
        CAMPAIGN, _rows(SAMPLE[:1]), actor="importer", source="f", create_agencies=True
    )
    measures = "1.建立检验检查结果互认清单,每季度通报互认率。\n2.将重复检查纳入考核。"
    with pytest.raises(LedgerRejected) as refused:
        app.import_ledger(
            CAMPAIGN, _rows([(*SAMPLE[0][:3], measures, *SAMPLE[0][4:])]), actor="i", source="f"
        )
    assert [str(p) for p in refused.value.problems] == [
        "row 2, 整改措施: 与已登记的问题“1”不同 / differs from the stored issue '1': "
        "第2条措施已登记为“将重复检查纳入医疗机构绩效考核。” / "
        "measure 2 stored as '将重复检查纳入医疗机构绩效考核。'"
    ]


def test_an_added_measure_for_an_existing_number_is_refused_counting_the_measures(
    app: RectifyApp,
) -> None:
    app.import_ledger(
        CAMPAIGN, _rows(SAMPLE[:1]), actor="importer", source="f", create_agencies=True
    )
    measures = SAMPLE[0][3] + "\n3.每月通报。"
    with pytest.raises(LedgerRejected) as refused:
        app.import_ledger(
            CAMPAIGN, _rows([(*SAMPLE[0][:3], measures, *SAMPLE[0][4:])]), actor="i", source="f"
        )
    assert [str(p) for p in refused.value.problems] == [
        "row 2, 整改措施: 与已登记的问题“1”不同 / differs from the stored issue '1': "
        "文件中3条措施，已登记2条 / 3 measures, 2 stored"
    ]


def test_changed_agencies_for_an_existing_number_are_refused_naming_the_column(
    app: RectifyApp,
) -> None:
    app.import_ledger(
        CAMPAIGN, _rows(SAMPLE[:1]), actor="importer", source="f", create_agencies=True
    )
    swapped = (*SAMPLE[0][:4], "县医疗保障局、县卫健局", SAMPLE[0][5])
    with pytest.raises(LedgerRejected) as refused:
        app.import_ledger(CAMPAIGN, _rows([swapped]), actor="importer", source="f")
    assert [str(p) for p in refused.value.problems] == [
        "row 2, 责任部门: 与已登记的问题“1”不同 / differs from the stored issue '1'"
    ]


def test_same_number_in_another_campaign_is_another_issue(app: RectifyApp) -> None:
    first = app.import_ledger(
        CAMPAIGN, _rows(SAMPLE[:1]), actor="i", source="f", create_agencies=True
    )
    other = app.import_ledger("回头看", _rows(SAMPLE[:1]), actor="i", source="f")
    assert other.campaign_created
    assert other.created != first.created
    assert len(other.created) == 1


def test_aliases_resolve_to_the_same_agency(app: RectifyApp) -> None:
    health = app.register_agency("县卫生健康委员会", actor="admin", aliases=("县卫健局",)).id
    insurance = app.register_agency("县医疗保障局", actor="admin", aliases=("县医保局",)).id
    rows = _rows(
        [
            (2, "1", "问题一", "措施", "县卫健局、县医保局", "2026年3月底"),
            (3, "2", "问题二", "措施", "县卫生健康委员会、县医疗保障局", "2026年3月底"),
        ]
    )
    report = app.import_ledger(CAMPAIGN, rows, actor="importer", source="f")
    assert report.agencies_created == []
    issues = [app.get_issue(i) for i in report.created]
    assert [(i.lead_agency_id, i.co_agency_ids) for i in issues] == [
        (health, [insurance]),
        (health, [insurance]),
    ]
    assert set(app.get_campaign(report.campaign_id).member_agency_ids) == {health, insurance}


def test_a_row_naming_an_agency_and_its_alias_names_it_once(app: RectifyApp) -> None:
    health = app.register_agency("县卫生健康委员会", actor="admin", aliases=("县卫健局",)).id
    insurance = app.register_agency("县医疗保障局", actor="admin", aliases=("县医保局",)).id
    rows = _rows(
        [(2, "1", "问题", "措施", "县卫健局、县医保局、县卫生健康委员会、县医疗保障局", "2026年底")]
    )
    report = app.import_ledger(CAMPAIGN, rows, actor="importer", source="f")
    issue = app.get_issue(report.created[0])
    assert (issue.lead_agency_id, issue.co_agency_ids) == (health, [insurance])
    again = app.import_ledger(CAMPAIGN, rows, actor="importer", source="f")
    assert again.unchanged == report.created


def test_import_into_an_existing_campaign_keeps_it(app: RectifyApp) -> None:
    launched = app.launch_campaign(CAMPAIGN, actor="admin")
    report = app.import_ledger(
        CAMPAIGN, _rows(SAMPLE[:1]), actor="i", source="f", create_agencies=True
    )
    assert not report.campaign_created
    assert report.campaign_id == launched.id
    assert _topics(app).count("rectify:Campaign.Launched") == 1


def test_import_without_campaign_title_is_refused(app: RectifyApp) -> None:
    from domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="campaign: 不能为空 / empty"):
        app.import_ledger(" ", _rows(SAMPLE[:1]), actor="i", source="f", create_agencies=True)
    assert _topics(app) == []


def test_registered_event_records_source_and_actor(app: RectifyApp) -> None:
    report = app.import_ledger(
        CAMPAIGN, _rows(SAMPLE[:1]), actor="importer", source="ledger.csv", create_agencies=True
    )
    events = list(app.events.get(report.created[0]))
    assert [type(e).__name__ for e in events] == ["Registered"]
    assert getattr(events[0], "source", None) == "ledger.csv"
    assert getattr(events[0], "actor", None) == "importer"
    assert getattr(events[0], "deadline", None) == _rows(SAMPLE[:1])[0].deadline


def test_reimport_after_an_extension_and_a_reopening_changes_nothing(app: RectifyApp) -> None:
    first = app.import_ledger(CAMPAIGN, _rows(), actor="importer", source="f", create_agencies=True)
    one, three = (issue_id(first.campaign_id, n) for n in ("1", "3"))
    app.request_extension(one, parse_deadline("2026年9月底"), "等待检测结果", "县卫健局")
    app.approve_extension(one, "同意", "协调办")
    app.submit_for_verification(three, "已完成", "县市场监管局")
    app.sign_off(three, "", "协调办")
    app.reopen(three, "回头看发现反弹", parse_deadline("2026年12月底"), "协调办")
    topics = _topics(app)

    again = app.import_ledger(CAMPAIGN, _rows(), actor="importer", source="f")

    assert again.created == [] and len(again.unchanged) == len(first.created)
    assert _topics(app) == topics
