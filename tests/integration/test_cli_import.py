"""`rectify import-issues` against a real PostgreSQL: formats, refusals, all-or-nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from domain.application import RectifyApp
from domain.issues import RectificationIssue
from domain.names import campaign_id
from rectify.cli import app as cli

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_sample.csv"
HEADER = ["问题编号", "反馈问题", "整改措施", "责任单位", "完成时限"]


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def _issues(app: RectifyApp) -> list[RectificationIssue]:
    found = []
    for notification in app.recorder.select_notifications(start=1, limit=10_000):
        if notification.topic == "rectify:RectificationIssue.Registered":
            found.append(app.get_issue(notification.originator_id))
    return found


def test_csv_sample_imports_every_row_with_lead_co_and_deadline(run, app: RectifyApp) -> None:
    result = run(
        "import-issues", str(SAMPLE), "--campaign", "医疗乱象专项整治", "--create-agencies"
    )

    assert result.exit_code == 0, result.output
    issues = {i.number: i for i in _issues(app)}
    assert len(issues) == 8
    fourth = issues["4"]
    names = [app.get_agency(a).name for a in [fourth.lead_agency_id, *fourth.co_agency_ids]]
    assert names == ["县医疗保障局", "县卫健局", "县公安局", "各乡镇人民政府"]
    assert fourth.measures == ["开展医保基金使用专项检查", "建立案件线索移送和协作查处机制。"]
    assert str(fourth.deadline.due_date) == "2025-12-31"
    assert issues["2"].deadline.due_date is None


def test_reimporting_the_same_file_creates_no_duplicates(run, app: RectifyApp) -> None:
    run("import-issues", str(SAMPLE), "--campaign", "医疗乱象专项整治", "--create-agencies")
    position = app.recorder.max_notification_id()

    again = run("import-issues", str(SAMPLE), "--campaign", "医疗乱象专项整治", "--create-agencies")

    assert again.exit_code == 0, again.output
    assert app.recorder.max_notification_id() == position
    assert len(_issues(app)) == 8


def test_unknown_agencies_are_listed_and_nothing_is_written(run, app: RectifyApp) -> None:
    result = run("import-issues", str(SAMPLE), "--campaign", "医疗乱象专项整治")

    assert result.exit_code == 1
    assert "县委网信办" in result.output and "县生态环境局" in result.output
    assert app.recorder.max_notification_id() in (None, 0)


def test_one_bad_row_imports_nothing_and_names_row_and_column(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        ",".join(HEADER) + "\n"
        "1,问题一,措施一,县卫健局,2021年6月底\n"
        "2,问题二,措施二,县卫健局,2021年3月底\n"
        "3,问题三,措施三,县卫健局,2021年13月底\n"
        "4,,措施四,县卫健局,2021年6月底\n",
        encoding="utf-8",
    )

    result = run("import-issues", str(path), "--campaign", "测试", "--create-agencies")

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "row 4, 完成时限: 无法识别时限'2021年13月底'" in "\n".join(lines)
    assert any(line.startswith("row 5, 反馈问题: 不能为空 / empty") for line in lines)
    assert app.recorder.max_notification_id() in (None, 0)


def test_xlsx_with_title_row_and_merged_cells(run, app: RectifyApp, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["某县医疗领域专项整治反馈问题整改台账"])
    sheet.merge_cells("A1:E1")
    sheet.append(HEADER)
    sheet.append([1, "问题一", "1.措施甲\n2.措施乙", "县卫健局、县医保局", "2026年3月上旬"])
    sheet.append([2, "问题二", "一是措施丙；二是措施丁", None, "立行立改，长期坚持"])
    sheet.merge_cells("D3:D4")  # one agency cell spanning both issues
    path = tmp_path / "ledger.xlsx"
    workbook.save(path)

    result = run("import-issues", str(path), "--campaign", "表格导入", "--create-agencies")

    assert result.exit_code == 0, result.output
    issues = {i.number: i for i in _issues(app)}
    assert issues["1"].measures == ["措施甲", "措施乙"]
    assert str(issues["1"].deadline.due_date) == "2026-03-10"
    assert issues["2"].lead_agency_id == issues["1"].lead_agency_id
    assert issues["2"].measures == ["措施丙", "措施丁"]


def test_json_with_english_keys_and_measure_lists(run, app: RectifyApp, tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text(
        json.dumps(
            {"issues": [{"number": "A-1", "problem": "p", "measures": ["m1", "m2"],
                         "responsible": "县卫健局；县公安局", "deadline": "2026-05-20"}]},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )  # fmt: skip

    result = run("import-issues", str(path), "--campaign", "JSON", "--create-agencies")

    assert result.exit_code == 0, result.output
    (issue,) = _issues(app)
    assert issue.measures == ["m1", "m2"]
    assert app.get_agency(issue.co_agency_ids[0]).name == "县公安局"


def test_gb18030_csv_from_excel_is_read(run, app: RectifyApp, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_bytes(
        (",".join(HEADER) + "\n1,问题一,措施一,县卫健局,2026年6月底\n").encode("gb18030")
    )

    result = run("import-issues", str(path), "--campaign", "GB", "--create-agencies")

    assert result.exit_code == 0, result.output
    assert _issues(app)[0].problem == "问题一"


def test_unsupported_file_type_is_refused(run, tmp_path: Path) -> None:
    path = tmp_path / "ledger.txt"
    path.write_text("x")

    result = run("import-issues", str(path), "--campaign", "x")

    assert result.exit_code == 1
    assert "unsupported type '.txt'" in result.output


def test_token_for_a_liaison_names_the_agency(run, database_url: str) -> None:
    import jwt

    run("agency", "add", "县卫生健康局", "--alias", "县卫健局")
    result = run("token", "--role", "liaison", "--agency", "县卫健局")

    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), options={"verify_signature": False})
    assert claims["role"] == "liaison"
    assert claims["agency_name"] == "县卫生健康局"


def test_token_for_an_unknown_agency_is_refused(run) -> None:
    result = run("token", "--role", "liaison", "--agency", "不存在的局")

    assert result.exit_code == 2
    assert "unknown agency" in result.output


def test_unknown_agencies_are_reported_with_bad_rows_at_once(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    app.register_agency("县卫健局", actor="t")
    path = tmp_path / "ledger.csv"
    path.write_text(
        ",".join(HEADER) + "\n"
        "1,问题一,措施一,县卫健局,2026年6月底\n"
        "2,问题二,措施二,县废物管理中心,2026年3月底\n"
        "3,问题三,措施三,县卫健局,2026年13月底\n",
        encoding="utf-8",
    )
    before = app.recorder.max_notification_id()

    result = run("import-issues", str(path), "--campaign", "测试")

    assert result.exit_code == 1
    assert "row 3, 责任单位: 未知单位'县废物管理中心'" in result.output
    assert "row 4, 完成时限: 无法识别时限'2026年13月底'" in result.output
    assert app.recorder.max_notification_id() == before


def test_agency_add_records_a_region(run, app: RectifyApp) -> None:
    result = run("agency", "add", "县卫生健康局", "--region", "某某县")

    assert result.exit_code == 0, result.output
    assert app.get_agency(app.find_agency("县卫生健康局")).region == "某某县"  # type: ignore[arg-type]


def test_token_for_leadership_of_a_region_carries_it(run) -> None:
    import jwt

    result = run("token", "--role", "leadership", "--region", "甲县")

    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), options={"verify_signature": False})
    assert claims["region"] == "甲县"


def test_a_region_on_a_token_other_than_leadership_is_refused(run) -> None:
    result = run("token", "--role", "coordinator", "--region", "甲县")

    assert result.exit_code == 2
    assert "--region" in result.output


# One ledger with measures as plans write them: sub-points (一是…二是…) inside numbered
# measures (../shared/samples/ledger_sample.csv, ../shared/seeds/004_…), and 一是…二是… as
# the measures themselves where nothing numbers them.
NESTED_ROWS = [
    [
        "1",
        "部分医疗机构未落实检验检查结果互认,重复检查问题群众反映强烈。",
        "1.加强检验检查结果互认监管。一是开展互认情况专项检查；二是建立重复检查问题台账。\n"
        "2.将重复检查纳入医疗机构绩效考核。",
        "县卫健局、县医疗保障局",
        "2026年3月底",
    ],
    [
        "2",
        "诱导消费、不合理诊疗和违规收费行为时有发生。",
        "（一）开展“合理用药、合理检查、合理治疗”专项整治行动。一是查处诱导消费；二是查处"
        "不合理诊疗行为。（二）开展规范医疗机构收费行为专项检查。",
        "县卫健局牵头，县医疗保障局、县市场监管局参与",
        "2026年6月底",
    ],
    [
        "3",
        "欺诈骗保、挂名住院、串换项目等问题查处力度不够。",
        "一是开展医保基金使用专项检查;二是建立案件线索移送和协作查处机制。",
        "县医疗保障局,县卫健局,县公安局",
        "2025年12月下旬",
    ],
]
NESTED_MEASURES = {
    "1": [
        "加强检验检查结果互认监管。一是开展互认情况专项检查；二是建立重复检查问题台账。",
        "将重复检查纳入医疗机构绩效考核。",
    ],
    "2": [
        "开展“合理用药、合理检查、合理治疗”专项整治行动。一是查处诱导消费；二是查处"
        "不合理诊疗行为。",
        "开展规范医疗机构收费行为专项检查。",
    ],
    "3": ["开展医保基金使用专项检查", "建立案件线索移送和协作查处机制。"],
}


def _nested_ledger_files(folder: Path) -> list[Path]:
    """The same ledger as CSV, as xlsx, and as JSON with measures lists numbered as the
    text numbers them."""
    csv_path = folder / "ledger.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([HEADER, *NESTED_ROWS])
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in [HEADER, *NESTED_ROWS]:
        sheet.append(values)
    xlsx_path = folder / "ledger.xlsx"
    workbook.save(xlsx_path)
    listed = {
        "1": [
            "1.加强检验检查结果互认监管。一是开展互认情况专项检查；二是建立重复检查问题台账。",
            "2.将重复检查纳入医疗机构绩效考核。",
        ],
        "3": ["一是开展医保基金使用专项检查", "二是建立案件线索移送和协作查处机制。"],
    }
    objects = [
        {**dict(zip(HEADER, values, strict=True)), **{"整改措施": listed[values[0]]}}
        if values[0] in listed
        else dict(zip(HEADER, values, strict=True))
        for values in NESTED_ROWS
    ]
    json_path = folder / "ledger.json"
    json_path.write_text(json.dumps(objects, ensure_ascii=False), encoding="utf-8")
    return [csv_path, xlsx_path, json_path]


def _registered(app: RectifyApp, campaign: str) -> dict[str, dict[str, object]]:
    """The Registered events of a campaign's issues by number, without what names the
    campaign or the file (ids, time, source)."""
    found: dict[str, dict[str, object]] = {}
    for notification in app.recorder.select_notifications(start=1, limit=10_000):
        if notification.topic != "rectify:RectificationIssue.Registered":
            continue
        event = app.mapper.to_domain_event(notification)
        if event.campaign_id != campaign_id(campaign):
            continue
        state = dict(event.__dict__)
        for name in ("originator_id", "timestamp", "campaign_id", "source"):
            state.pop(name)
        found[event.number] = state
    return found


def test_the_same_ledger_as_csv_xlsx_and_json_gives_identical_measures_and_events(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    files = _nested_ledger_files(tmp_path)
    for path in files:
        result = run("import-issues", str(path), "--campaign", path.suffix, "--create-agencies")
        assert result.exit_code == 0, result.output

    events = [_registered(app, path.suffix) for path in files]
    assert {n: e["measures"] for n, e in events[0].items()} == NESTED_MEASURES
    assert events[1] == events[0]
    assert events[2] == events[0]
    position = app.recorder.max_notification_id()
    for path in files[1:]:  # into the CSV's campaign: the same issues, nothing new
        again = run("import-issues", str(path), "--campaign", ".csv")
        assert again.exit_code == 0, again.output
    assert app.recorder.max_notification_id() == position


def test_a_reimport_with_other_measures_names_the_row_field_and_stored_issue(
    run, app: RectifyApp, tmp_path: Path
) -> None:
    csv_path, *_ = _nested_ledger_files(tmp_path)
    run("import-issues", str(csv_path), "--campaign", "回头看", "--create-agencies")
    position = app.recorder.max_notification_id()
    changed = tmp_path / "changed.csv"
    changed.write_text(
        csv_path.read_text(encoding="utf-8").replace("二是建立重复检查问题台账", "二是通报"),
        encoding="utf-8",
    )

    result = run("import-issues", str(changed), "--campaign", "回头看")

    assert result.exit_code == 1
    assert "row 2, 整改措施: 与已登记的问题“1”不同 / differs from the stored issue '1'" in (
        result.output.replace("\n", "")
    )
    assert app.recorder.max_notification_id() == position
