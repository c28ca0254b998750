"""Evidence files (整改佐证材料) through the API: upload, attach by `sha256:`, download by
those who may read an item naming the file, listed in case files; and a campaign that
requires evidence before sign-off. Against PostgreSQL, the projection running."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx
import psycopg
import pytest

from api.app import ApiConfig, create_app
from api.auth import issue_token
from domain.application import RectifyApp
from domain.issues import RectificationIssue
from domain.names import agency_id
from projections.case_files import case_file, case_file_html
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    SECRET,
    Api,
    api,
    issue,
    projection_thread,
    wait_until_projected,
)

FIXTURES = (api, projection_thread)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
NAME = "整改报告（第一批）.pdf"

REPORT = """mutation($id: ID!, $files: [String!]!) {
  reportProgress(issueId: $id, text: "已整改", attachments: $files) {
    __typename ... on InvalidInput { field message } } }"""


def bearer(role: str, agency: str | None = None, person: str = "") -> dict[str, str]:
    """A token per person: two liaisons of one agency are two uploaders."""
    subject = f"{role}{person}@{agency or 'office'}"
    key = str(agency_id(agency)) if agency else None
    return {"Authorization": f"Bearer {issue_token(SECRET, role, key, agency, subject, 1)}"}


async def upload(
    client: httpx.AsyncClient,
    content: bytes = PDF,
    name: str = NAME,
    role: str = "liaison",
    agency: str | None = HEALTH,
    person: str = "",
) -> httpx.Response:
    return await client.post(
        "/files",
        files={"file": (name, content, "application/octet-stream")},
        headers=bearer(role, agency, person),
    )


async def gql(
    api: Api, query: str, role: str, agency: str | None, person: str = "", **variables: Any
) -> Any:
    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=bearer(role, agency, person),
    )
    body = response.json()
    assert "errors" not in body, body
    (value,) = body["data"].values()
    return value


async def report(api: Api, number: str, files: list[str], agency: str = HEALTH) -> Any:
    return await gql(api, REPORT, "liaison", agency, id=issue(number), files=files)


def reference(content: bytes = PDF) -> str:
    return f"sha256:{hashlib.sha256(content).hexdigest()}"


async def test_an_upload_is_stored_once_under_its_sha256(
    api: Api, database_url: str, schema: str
) -> None:
    first = await upload(api.client)
    again = await upload(api.client)
    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.json()["created"] is False
    body = first.json()
    assert body["reference"] == reference()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (body["type"], body["size"], body["fileName"]) == ("application/pdf", len(PDF), NAME)
    with psycopg.connect(database_url) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        assert conn.execute("SELECT count(*) FROM evidence_files").fetchone() == (1,)


async def test_the_type_is_judged_from_the_content_not_the_name(api: Api) -> None:
    refused = await upload(api.client, b"MZ\x90\x00 a program", "报告.pdf")
    assert refused.status_code == 415
    message = refused.json()["message"]
    assert "不支持的文件格式" in message and "unsupported file type" in message


async def test_an_upload_needs_a_bearer_token(api: Api) -> None:
    response = await api.client.post("/files", files={"file": (NAME, PDF, "application/pdf")})
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["auditor", "leadership"])
async def test_readers_of_the_ledger_do_not_upload(api: Api, role: str) -> None:
    refused = await upload(api.client, role=role, agency=None)
    assert refused.status_code == 403
    assert "无权上传文件" in refused.json()["message"]


async def test_an_upload_without_a_file_field_is_refused_naming_it(api: Api) -> None:
    response = await api.client.post(
        "/files",
        data={"other": "x"},
        files={"photo": (NAME, PDF)},
        headers=bearer("liaison", HEALTH),
    )
    assert response.status_code == 400
    assert response.json()["field"] == "file"


async def test_a_file_larger_than_a_graphql_body_is_accepted_up_to_the_file_limit(
    api: Api,
) -> None:
    big = PDF + b"0" * (2 * 1024 * 1024)  # over the 1 MiB GraphQL body limit
    assert (await upload(api.client, big)).status_code == 201


@pytest.fixture
async def small_limit(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> AsyncIterator[httpx.AsyncClient]:
    config = ApiConfig(database_url, schema, dict(es_env), SECRET, max_file_bytes=1000)
    web = create_app(config)
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_a_file_over_the_limit_is_refused_413_in_both_languages(
    small_limit: httpx.AsyncClient,
) -> None:
    refused = await upload(small_limit, PDF + b"0" * 2000)
    assert refused.status_code == 413
    assert (
        refused.json()["message"]
        == "文件超过 1000 字节上限 / the file exceeds the limit of 1000 bytes"
    )
    # a body far over the limit is refused before it is read
    huge = await upload(small_limit, PDF + b"0" * 200_000)
    assert huge.status_code == 413 and "请求体超过" in huge.json()["message"]


async def test_a_progress_report_carries_the_files_sha256_in_its_event(
    api: Api, app: RectifyApp
) -> None:
    ref = (await upload(api.client)).json()["reference"]
    changed = await report(api, "1", ["现场照片.jpg", ref])
    assert changed["__typename"] == "IssueChanged", changed
    events = list(app.repository.event_store.get(UUID(issue("1"))))
    reported = [e for e in events if isinstance(e, RectificationIssue.ProgressReported)]
    assert reported[-1].attachments == ["现场照片.jpg", ref]


async def test_plain_reference_strings_still_work(api: Api) -> None:
    changed = await report(api, "1", ["现场照片.jpg", "会议纪要-2026-03"])
    assert changed["__typename"] == "IssueChanged", changed


async def test_a_reference_never_uploaded_is_refused_naming_the_field(
    api: Api, app: RectifyApp
) -> None:
    head = app.recorder.max_notification_id()
    refused = await report(api, "1", [reference(b"%PDF- never uploaded")])
    assert refused["__typename"] == "InvalidInput"
    assert refused["field"] == "attachments"
    assert "未上传" in refused["message"] and "never uploaded" in refused["message"]
    assert app.recorder.max_notification_id() == head


async def test_a_malformed_reference_is_refused_naming_the_field(api: Api) -> None:
    refused = await report(api, "1", ["sha256:1234"])
    assert (refused["__typename"], refused["field"]) == ("InvalidInput", "attachments")


async def test_another_agencys_upload_is_not_attached_until_shown_to_the_caller(
    api: Api,
) -> None:
    await upload(api.client, agency=MARKET)
    refused = await report(api, "1", [reference()])
    assert refused["__typename"] == "InvalidInput", refused
    # a colleague of the uploader's agency may attach it (issue 2: INSURANCE leads)
    await upload(api.client, agency=INSURANCE, person="张")
    colleague = await gql(
        api, REPORT, "liaison", INSURANCE, person="李", id=issue("2"), files=[reference()]
    )
    assert colleague["__typename"] == "IssueChanged", colleague


async def test_a_reference_inside_an_input_object_is_checked_too(api: Api) -> None:
    refused = await gql(
        api,
        """mutation($files: [String!]!) { sendReferral(input: {receiver: "县市场监管局",
          reason: "美容院开展医疗美容", attachments: $files}) {
          __typename ... on InvalidInput { field } } }""",
        "liaison",
        HEALTH,
        files=[reference(b"%PDF- nobody's")],
    )
    assert refused == {"__typename": "InvalidInput", "field": "input.attachments"}


async def test_the_uploader_reads_its_upload_before_it_is_attached(api: Api) -> None:
    digest = (await upload(api.client)).json()["sha256"]
    response = await api.client.get(f"/files/{digest}", headers=bearer("liaison", HEALTH))
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(NAME, safe='')}" in disposition


async def test_a_file_is_read_by_whoever_may_read_the_issue_naming_it_and_no_one_else(
    api: Api, app: RectifyApp
) -> None:
    digest = (await upload(api.client)).json()["sha256"]

    async def status(role: str, agency: str | None) -> int:
        response = await api.client.get(f"/files/{digest}", headers=bearer(role, agency))
        return response.status_code

    assert await status("liaison", INSURANCE) == 404  # not shown to it yet
    await report(api, "1", [f"sha256:{digest}"])  # issue 1: HEALTH leads, INSURANCE co-owns
    await wait_until_projected(api.client, app)
    assert await status("liaison", INSURANCE) == 200
    assert await status("coordinator", None) == 200
    assert await status("auditor", None) == 200
    assert await status("liaison", MARKET) == 404  # another agency's issue
    assert await status("investigator", MARKET) == 404


NAMES = """query($refs: [String!]!) { evidenceFiles(references: $refs) {
  sha256 reference fileName mediaType size } }"""


async def test_the_names_of_files_are_told_to_whoever_may_read_them_and_no_one_else(
    api: Api, app: RectifyApp
) -> None:
    ref = (await upload(api.client)).json()["reference"]
    await report(api, "1", [ref])  # issue 1: HEALTH leads, INSURANCE co-owns
    await wait_until_projected(api.client, app)
    never = reference(b"%PDF- never uploaded")
    refs = [ref, never, "现场照片.jpg", "sha256:1234"]

    named = await gql(api, NAMES, "liaison", INSURANCE, refs=refs)
    hidden = await gql(api, NAMES, "liaison", MARKET, refs=refs)

    assert named == [
        {
            "sha256": ref.removeprefix("sha256:"),
            "reference": ref,
            "fileName": NAME,
            "mediaType": "application/pdf",
            "size": len(PDF),
        }
    ]
    assert hidden == []  # another agency's issue: as if never uploaded


async def test_a_file_sent_with_a_referral_is_read_by_its_receiver(
    api: Api, app: RectifyApp
) -> None:
    digest = (await upload(api.client)).json()["sha256"]
    sent = await gql(
        api,
        """mutation($files: [String!]!) { sendReferral(input: {receiver: "县市场监管局",
          reason: "美容院开展医疗美容", attachments: $files}) { __typename } }""",
        "liaison",
        HEALTH,
        files=[f"sha256:{digest}"],
    )
    assert sent["__typename"] == "ReferralChanged", sent
    await wait_until_projected(api.client, app)
    response = await api.client.get(f"/files/{digest}", headers=bearer("liaison", MARKET))
    assert response.status_code == 200
    other = await api.client.get(f"/files/{digest}", headers=bearer("liaison", INSURANCE))
    assert other.status_code == 404


async def test_a_digest_that_is_not_one_is_not_found(api: Api) -> None:
    response = await api.client.get("/files/not-a-digest", headers=bearer("coordinator"))
    assert response.status_code == 404


async def test_a_case_file_lists_its_evidence_files_and_flags_altered_content(
    api: Api, app: RectifyApp, database_url: str, schema: str
) -> None:
    digest = (await upload(api.client)).json()["sha256"]
    await report(api, "1", ["现场照片.jpg", f"sha256:{digest}"])
    case = case_file(app, UUID(issue("1")))
    assert case["files"] == [
        {
            "sha256": digest,
            "name": NAME,
            "type": "application/pdf",
            "size": len(PDF),
            "status": "intact",
        }
    ]
    assert NAME in case_file_html(case) and digest in case_file_html(case)

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute(
            "UPDATE evidence_files SET content = 'forged'::bytea WHERE sha256 = %s", (digest,)
        )
    assert case_file(app, UUID(issue("1")))["files"][0]["status"] == "altered"
    response = await api.client.get(f"/files/{digest}", headers=bearer("liaison", HEALTH))
    assert response.status_code == 500 and "篡改" in response.json()["message"]


SIGN_OFF = """mutation($id: ID!) { signOff(issueId: $id) {
  __typename ... on InvalidTransition { message currentState } } }"""
SUBMIT = (
    'mutation($id: ID!) { submitForVerification(issueId: $id, summary: "完成") { __typename } }'
)


async def test_a_campaign_requiring_evidence_signs_off_only_issues_with_an_uploaded_file(
    api: Api,
) -> None:
    required = await gql(
        api,
        "mutation($c: ID!) { requireEvidence(campaign: $c) { __typename } }",
        "coordinator",
        None,
        c=CAMPAIGN,
    )
    assert required["__typename"] == "CampaignChanged"
    await report(api, "5", ["仅文字说明.docx"])  # a plain reference is not an uploaded file
    await gql(api, SUBMIT, "liaison", HEALTH, id=issue("5"))
    refused = await gql(api, SIGN_OFF, "coordinator", None, id=issue("5"))
    assert refused["__typename"] == "InvalidTransition"
    assert "整改佐证材料" in refused["message"] and "requires evidence" in refused["message"]

    ref = (await upload(api.client)).json()["reference"]
    await report(api, "3", [ref])
    await gql(api, SUBMIT, "liaison", HEALTH, id=issue("3"))
    signed = await gql(api, SIGN_OFF, "coordinator", None, id=issue("3"))
    assert signed["__typename"] == "IssueChanged", signed


NEVER_UPLOADED = reference(b"%PDF- never uploaded by anyone")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (
            'mutation($f: [String!]!) { answerReferral(referralId: "00000000-0000-0000-0000-'
            '000000000001", outcome: "已查处", attachments: $f) {'
            " __typename ... on InvalidInput { field } } }",
            "attachments",
        ),
        (
            'mutation($f: [String!]!) { receiveClue(input: {channel: HOTLINE_12320, content: "收受'
            '红包", attachments: $f}) { __typename ... on InvalidInput { field } } }',
            "input.attachments",
        ),
        (
            'mutation($f: [String!]!) { reportCaseTransfer(input: {police: "县公安局", facts: "'
            '骗保", attachments: $f}) { __typename ... on InvalidInput { field } } }',
            "input.attachments",
        ),
        (
            'mutation($f: [String!]!) { transferToDiscipline(input: {commission: "县纪委监委",'
            ' person: "某某", category: PUBLIC_OFFICIAL, facts: "违规", attachments: $f}) {'
            " __typename ... on InvalidInput { field } } }",
            "input.attachments",
        ),
    ],
    ids=["answerReferral", "receiveClue", "reportCaseTransfer", "transferToDiscipline"],
)
async def test_every_command_with_attachments_refuses_a_file_never_uploaded(
    api: Api, app: RectifyApp, document: str, field: str
) -> None:
    head = app.recorder.max_notification_id()
    refused = await gql(api, document, "investigator", HEALTH, f=[NEVER_UPLOADED])
    assert refused == {"__typename": "InvalidInput", "field": field}
    assert app.recorder.max_notification_id() == head


async def test_a_file_received_with_a_clue_is_read_by_the_handling_agency_only(
    api: Api, app: RectifyApp
) -> None:
    digest = (await upload(api.client)).json()["sha256"]
    received = await gql(
        api,
        """mutation($f: [String!]!) { receiveClue(input: {channel: LETTER, content: "收受红包",
          institution: "县人民医院", attachments: $f}) {
          __typename ... on InvalidInput { field message } } }""",
        "liaison",
        HEALTH,
        f=[f"sha256:{digest}"],
    )
    assert received["__typename"] == "ClueChanged", received
    await wait_until_projected(api.client, app)

    async def status(role: str, agency: str | None) -> int:
        response = await api.client.get(f"/files/{digest}", headers=bearer(role, agency))
        return response.status_code

    assert await status("investigator", HEALTH) == 200
    assert await status("investigator", MARKET) == 404
    assert await status("auditor", None) == 200
