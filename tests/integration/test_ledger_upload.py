"""The coordinator's ledger upload: POST /ledger/preview answers the parsed rows and every
row problem and writes nothing; POST /ledger/import imports as `rectify import-issues`
does, all or nothing, and a second import of the same file changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.application import RectifyApp
from tests.integration.api_fixtures import (
    HEALTH,
    INSURANCE,
    Api,
    api,
    projection_thread,
    token,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)
CAMPAIGN = "2026年医保基金专项整治"
GOOD = (
    "问题编号,反馈问题,整改措施,责任单位,完成时限\n"
    f'1,检验结果互认未落实,"1.建立互认清单\n2.纳入绩效考核",{HEALTH}、{INSURANCE},2026年3月底\n'
    f"2,回扣举报查处不及时,设立举报专线,{INSURANCE},6月底前\n"
)
BAD = (
    "问题编号,反馈问题,整改措施,责任单位,完成时限\n"
    f"1,检验结果互认未落实,建立互认清单,{HEALTH},2026年3月底\n"
    f"2,回扣举报查处不及时,设立举报专线,{HEALTH},某个时候\n"
    "3,收费不规范,开展专项检查,县外星局,2026年6月底\n"
)
ISSUES = """query($campaign: ID!) { issues(filter: { campaign: $campaign }) { totalCount } }"""


async def post(
    client: httpx.AsyncClient,
    path: str,
    content: str,
    *,
    name: str = "台账.csv",
    role: str = "coordinator",
    agency: str | None = None,
    **fields: str,
) -> httpx.Response:
    return await client.post(
        path,
        files={"file": (name, content.encode("utf-8"), "text/csv")},
        data={"campaign": CAMPAIGN, **fields},
        headers={"Authorization": f"Bearer {token(role, agency)}"},
    )


def head(app: RectifyApp) -> int:
    return app.recorder.max_notification_id() or 0


async def test_preview_answers_the_parsed_rows_and_writes_nothing(
    api: Api, app: RectifyApp
) -> None:
    before = head(app)
    response = await post(api.client, "/ledger/preview", GOOD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True and body["problems"] == []
    first, second = body["rows"]
    assert first["number"] == "1" and first["measures"] == ["建立互认清单", "纳入绩效考核"]
    assert (first["lead"], first["co"]) == (HEALTH, [INSURANCE])
    assert first["deadline"] == {"kind": "DATE", "dueDate": "2026-03-31", "text": "2026年3月底"}
    assert second["deadline"]["dueDate"] == "2026-06-30"  # the year from the campaign's title
    assert head(app) == before


async def test_preview_names_the_row_and_field_of_every_problem(api: Api, app: RectifyApp) -> None:
    before = head(app)
    response = await post(api.client, "/ledger/preview", BAD)
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    assert body["message"] == "台账有 2 处问题 / 2 problem(s) in the ledger"
    found = [(p["row"], p["column"]) for p in body["problems"]]
    assert found == [(3, "完成时限"), (4, "责任单位")]
    unknown = body["problems"][1]
    assert "县外星局" in unknown["message"]
    assert (
        unknown["text"].startswith("第 4 行「责任单位」：")
        and "/ row 4, 责任单位: " in unknown["text"]
    )
    assert [row["number"] for row in body["rows"]] == ["1", "3"]  # the readable rows
    assert head(app) == before


async def test_import_saves_all_rows_and_a_second_import_changes_nothing(
    api: Api, app: RectifyApp
) -> None:
    first = await post(api.client, "/ledger/import", GOOD)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["created"], body["unchanged"], body["campaignCreated"]) == (2, 0, True)
    after_first = head(app)
    again = await post(api.client, "/ledger/import", GOOD)
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
    assert head(app) == after_first
    await wait_until_projected(api.client, app)
    listed = await api.gql(ISSUES, campaign=CAMPAIGN)
    assert listed["issues"]["totalCount"] == 2


async def test_an_import_with_a_problem_writes_nothing_and_lists_them(
    api: Api, app: RectifyApp
) -> None:
    before = head(app)
    response = await post(api.client, "/ledger/import", BAD)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "ledger_rejected"
    assert (
        body["message"]
        == "台账有 2 处问题，未导入任何内容 / 2 problem(s) in the ledger; nothing imported"
    )
    assert [p["row"] for p in body["problems"]] == [3, 4]
    assert head(app) == before


async def test_unknown_agencies_are_created_when_asked(api: Api) -> None:
    ledger = (
        "问题编号,反馈问题,整改措施,责任单位,完成时限\n1,收费不规范,专项检查,县外星局,2026年6月底\n"
    )
    response = await post(api.client, "/ledger/import", ledger, createAgencies="true")
    assert response.status_code == 200, response.text
    assert response.json()["agenciesCreated"] == ["县外星局"]


@pytest.mark.parametrize("role", ["liaison", "leadership", "auditor", "investigator"])
async def test_only_coordinators_and_admins_may_upload_ledgers(api: Api, role: str) -> None:
    for path in ("/ledger/preview", "/ledger/import"):
        response = await post(api.client, path, GOOD, role=role, agency=HEALTH)
        assert response.status_code == 403
        assert "(coordinators and admins only)" in response.json()["message"]
    assert (await post(api.client, "/ledger/preview", GOOD, role="admin")).status_code == 200


async def test_a_file_of_another_type_or_without_a_campaign_is_refused(api: Api) -> None:
    wrong: Any = await post(api.client, "/ledger/preview", GOOD, name="台账.docx")
    assert wrong.status_code == 415 and wrong.json()["field"] == "file"
    nameless = await post(api.client, "/ledger/preview", GOOD, campaign=" ")
    assert nameless.status_code == 400 and nameless.json()["field"] == "campaign"
    year = await post(api.client, "/ledger/preview", GOOD, year="26")
    assert year.status_code == 400 and year.json()["field"] == "year"


async def test_an_unreadable_file_is_one_problem_of_the_file(api: Api) -> None:
    response = await post(api.client, "/ledger/preview", "just words\n", name="x.csv")
    body = response.json()
    assert body["valid"] is False and body["problems"][0]["row"] == 0
    assert body["problems"][0]["text"].startswith("文件「")
