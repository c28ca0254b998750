"""Excel export of the lists (GET /export/{list}.xlsx): the rows are the GraphQL list's for
the same filters and the same caller, personal data masked, the reporter never in it,
headers in Chinese or English, and a list over the limit refused."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openpyxl
import pytest

from api.app import ApiConfig
from domain.application import RectifyApp
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    SECRET,
    Api,
    api,
    projection_thread,
    served,
    token,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)
ISSUES = """query($filter: IssueFilter, $orderBy: IssueOrder!) {
  issues(filter: $filter, first: 200, orderBy: $orderBy) {
    edges { node { number status deadline { text } leadAgency { name } } } } }"""
RECEIVE = """mutation($input: ReceiveClueInput!) { result: receiveClue(input: $input) {
  __typename ... on ClueChanged { clue { id person content } } } }"""
SEND = """mutation($input: SendReferralInput!) { result: sendReferral(input: $input) {
  __typename ... on ReferralChanged { referral { id } } } }"""
REFERRALS = (
    """query { referralQueue(first: 200) { edges { node { reason receiver { name } } } } }"""
)
PERSON, PHONE, REPORTER = "陈大明（店主）", "13912345678", "实名举报人孙七"


async def export(
    client: httpx.AsyncClient, path: str, role: str = "coordinator", agency: str | None = None
) -> httpx.Response:
    return await client.get(path, headers={"Authorization": f"Bearer {token(role, agency)}"})


def sheet_of(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def table(sheet: Any, header_row: int = 2) -> list[dict[str, Any]]:
    rows = list(sheet.iter_rows(min_row=header_row, values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


async def test_issue_export_rows_are_the_graphql_lists_for_the_same_filters(api: Api) -> None:
    listed = await api.gql(ISSUES, filter={"agency": HEALTH, "campaign": CAMPAIGN}, orderBy="DUE")
    response = await export(
        api.client, f"/export/issues.xlsx?agency={HEALTH}&campaign={CAMPAIGN}&orderBy=DUE"
    )
    sheet = sheet_of(response)
    rows = table(sheet)
    nodes = [edge["node"] for edge in listed["issues"]["edges"]]
    assert [r["问题编号"] for r in rows] == [n["number"] for n in nodes]
    assert [r["完成时限"] for r in rows] == [n["deadline"]["text"] for n in nodes]
    assert [r["序号"] for r in rows] == list(range(1, len(nodes) + 1))
    assert rows[0]["责任单位"].startswith(nodes[0]["leadAgency"]["name"])
    assert {r["状态"] for r in rows} <= {"整改中", "待核验", "已销号"}
    assert "1.措施" in rows[0]["整改措施"]  # measures numbered one per line, as ledgers do


async def test_issue_export_has_a_title_a_bold_frozen_header_and_widths(api: Api) -> None:
    sheet = sheet_of(await export(api.client, f"/export/issues.xlsx?campaign={CAMPAIGN}"))
    title = sheet["A1"].value
    assert title.startswith("问题整改台账") and CAMPAIGN in title and "导出时间" in title
    assert [c.value for c in sheet[2]][:4] == ["序号", "问题编号", "问题", "整改措施"]
    assert all(cell.font.bold for cell in sheet[2])
    assert sheet.freeze_panes == "A3"
    assert (sheet.column_dimensions["C"].width, sheet.column_dimensions["D"].width) == (50, 60)


async def test_without_the_title_row_the_header_is_first(api: Api) -> None:
    sheet = sheet_of(await export(api.client, "/export/issues.xlsx?title=false"))
    assert sheet["A1"].value == "序号" and sheet.freeze_panes == "A2"
    assert len(table(sheet, header_row=1)) == 5


async def test_english_headers_and_cells_with_lang_en(api: Api) -> None:
    sheet = sheet_of(await export(api.client, "/export/issues.xlsx?lang=en&status=CLOSED"))
    assert sheet["A1"].value.startswith("Rectification ledger")
    rows = table(sheet)
    assert [(r["Number"], r["Status"], r["Overdue"]) for r in rows] == [("4", "CLOSED", "no")]


async def test_a_liaisons_export_holds_only_the_issues_of_its_agency(api: Api) -> None:
    listed = await api.gql(ISSUES, "liaison", MARKET, filter=None, orderBy="LEDGER")
    sheet = sheet_of(await export(api.client, "/export/issues.xlsx", "liaison", MARKET))
    numbers = [r["问题编号"] for r in table(sheet)]
    assert numbers == [e["node"]["number"] for e in listed["issues"]["edges"]]
    assert numbers == ["2", "4", "5"]  # led or co-owned by 县市场监管局, nothing else


async def test_clue_export_masks_the_person_and_never_holds_the_reporter(
    api: Api, app: RectifyApp
) -> None:
    received = await api.gql(
        RECEIVE,
        "liaison",
        HEALTH,
        input={
            "channel": "HOTLINE_12320",
            "institution": "某美容院",
            "person": PERSON,
            "content": f"陈大明无证开展医疗美容，联系电话{PHONE}",
            "reporter": {"name": REPORTER, "phone": "13800000000"},
            "realName": True,
        },
    )
    assert received["result"]["__typename"] == "ClueChanged"
    await wait_until_projected(api.client, app)
    response = await export(api.client, "/export/clues.xlsx", "liaison", HEALTH)
    rows = table(sheet_of(response))
    assert len(rows) == 1
    row = rows[0]
    assert row["被举报人"] == "已屏蔽 / masked"
    assert row["反映问题"] == "[已屏蔽]无证开展医疗美容，联系电话[已屏蔽]"
    assert row["被举报单位"] == "某美容院" and row["举报人"] == "受保护 / protected"
    for secret in ("陈大明", PHONE, REPORTER, "13800000000"):
        assert secret.encode() not in response.content
    other = await export(api.client, "/export/clues.xlsx", "liaison", INSURANCE)
    assert table(sheet_of(other)) == []  # another agency's clue is not in its list


async def test_referral_export_is_the_receivers_queue(api: Api, app: RectifyApp) -> None:
    sent = await api.gql(
        SEND, "liaison", HEALTH, input={"receiver": INSURANCE, "reason": "涉嫌骗取医保基金"}
    )
    assert sent["result"]["__typename"] == "ReferralChanged"
    await wait_until_projected(api.client, app)
    queue = await api.gql(REFERRALS, "liaison", INSURANCE)
    rows = table(sheet_of(await export(api.client, "/export/referrals.xlsx", "liaison", INSURANCE)))
    assert [r["移送事由"] for r in rows] == [
        e["node"]["reason"] for e in queue["referralQueue"]["edges"]
    ]
    assert rows[0]["接收单位"] == INSURANCE and rows[0]["状态"] == "待签收"
    mine = await export(api.client, "/export/referrals.xlsx?direction=OUTGOING", "liaison", HEALTH)
    assert [r["接收单位"] for r in table(sheet_of(mine))] == [INSURANCE]


async def test_case_transfer_export_opens_with_its_headers(api: Api) -> None:
    sheet = sheet_of(await export(api.client, "/export/case-transfers.xlsx?kind=CRIMINAL"))
    headers = [c.value for c in sheet[2]]
    assert headers[:3] == ["序号", "报告时间", "类型"] and "当事人" in headers


async def test_a_filter_the_list_does_not_have_is_refused_naming_it(api: Api) -> None:
    response = await export(api.client, "/export/issues.xlsx?colour=red")
    assert response.status_code == 400
    assert response.json()["message"].startswith("colour: 没有这个筛选条件 / no such filter")
    bad = await export(api.client, "/export/issues.xlsx?overdue=maybe")
    assert bad.status_code == 400 and bad.json()["message"].startswith("overdue:")
    wrong = await export(api.client, "/export/issues.xlsx?status=LOST")
    assert wrong.status_code == 400 and "LOST" in wrong.json()["message"]


async def test_another_agencys_referral_queue_is_refused_as_in_graphql(api: Api) -> None:
    response = await export(
        api.client, f"/export/referrals.xlsx?agency={INSURANCE}", "liaison", HEALTH
    )
    assert response.status_code == 400
    assert "只能查看本单位的队列 / only your own agency's queue" in response.json()["message"]


async def test_an_unknown_list_and_a_missing_token_are_refused(api: Api) -> None:
    unknown = await export(api.client, "/export/people.xlsx")
    assert unknown.status_code == 404 and "issues.xlsx" in unknown.json()["message"]
    anonymous = await api.client.get("/export/issues.xlsx")
    assert anonymous.status_code == 401


async def test_every_export_is_logged_with_who_and_how_many_rows(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rectify.api"):
        await export(api.client, "/export/issues.xlsx?status=CLOSED", "auditor")
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("export ")]
    assert logged == [
        "export list=issues subject=auditor-user role=auditor agency=- rows=1"
        " params={'status': 'CLOSED'}"
    ]


@pytest.fixture
async def limited(
    api: Api, es_env: dict[str, str], database_url: str, schema: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process over the same data, allowing exports of three rows at most."""
    config = ApiConfig(database_url, schema, dict(es_env), SECRET, max_export_rows=3)
    async with served(config) as client:
        yield client


async def test_a_list_over_the_row_limit_is_refused_in_both_languages(
    limited: httpx.AsyncClient,
) -> None:
    response = await export(limited, "/export/issues.xlsx")
    assert response.status_code == 422
    assert response.json() == {
        "error": "too_many_rows",
        "message": "共 5 行，超过导出上限 3 行，请缩小筛选范围 / 5 rows exceed the export "
        "limit of 3; narrow the filters",
    }
    narrowed = await export(limited, f"/export/issues.xlsx?agency={MARKET}")
    assert len(table(sheet_of(narrowed))) == 3


async def test_an_exported_ledger_reads_back_as_the_same_issues(api: Api) -> None:
    """The layout is one the importer reads: the preview of an export finds every issue."""
    exported = await export(api.client, f"/export/issues.xlsx?campaign={CAMPAIGN}")
    preview = await api.client.post(
        "/ledger/preview",
        files={"file": ("台账.xlsx", exported.content)},
        data={"campaign": CAMPAIGN},
        headers={"Authorization": f"Bearer {token('coordinator')}"},
    )
    body = preview.json()
    assert body["problems"] == []
    assert [(r["number"], r["lead"]) for r in body["rows"]] == [
        ("1", HEALTH),
        ("2", INSURANCE),
        ("3", HEALTH),
        ("4", MARKET),
        ("5", HEALTH),
    ]
    assert body["rows"][0]["measures"] == ["措施1-1", "措施1-2"]
