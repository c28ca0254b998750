"""The admin page's GraphQL over web accounts, the 登录日志, and the password hash kept out
of every read (ADR 0042, ADR 0028)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.sessions import COOKIE
from domain.accounts import account_id
from domain.names import agency_id
from tests.integration.api_fixtures import HEALTH, INSURANCE, projection_thread, token
from tests.integration.test_sign_in import PASSWORD, Web, web

__all__ = ["projection_thread", "web"]  # fixtures

USER_FIELDS = "username displayName status role agencyName region failedSignIns"
RESULT = (
    "__typename ... on UserChanged { position user { " + USER_FIELDS + " } }"
    " ... on NotAllowed { message } ... on InvalidInput { message field }"
    " ... on InvalidTransition { message currentState } ... on NotFound { message }"
)
CREATE = (
    "mutation($u: String!, $p: String!, $r: Role, $a: String) { createUser(username: $u,"
    ' displayName: "李四", password: $p, role: $r, agency: $a) { ' + RESULT + " } }"
)
GRANT = (
    "mutation($u: String!, $r: Role!, $a: String, $g: String) { grantRole(username: $u,"
    " role: $r, agency: $a, region: $g) { " + RESULT + " } }"
)
LOCK = "mutation($u: String!) { lockUser(username: $u) { " + RESULT + " } }"
UNLOCK = "mutation($u: String!) { unlockUser(username: $u) { " + RESULT + " } }"
DISABLE = "mutation($u: String!) { disableUser(username: $u) { " + RESULT + " } }"
REVOKE = "mutation($u: String!) { revokeRole(username: $u) { " + RESULT + " } }"
RESET = (
    "mutation($u: String!, $p: String!) { resetPassword(username: $u, password: $p) { "
    + RESULT
    + " } }"
)
USERS = (
    "query($after: String) { users(first: 2, after: $after) { edges { node { "
    + USER_FIELDS
    + " } } pageInfo { hasNextPage endCursor } } }"
)
SIGN_IN_LOG = (
    "query($after: String) { signInLog(first: 2, after: $after) { edges { node {"
    " username outcome address userAgent } } pageInfo { hasNextPage endCursor } } }"
)
TRAIL = "query($id: ID!) { auditTrail(id: $id) { type actor payload changes { field after } } }"
AS_OF = "query($id: ID!) { itemAsOf(id: $id) }"


async def bearer(web: Web, query: str, role: str, agency: str | None = None, **variables: Any):  # type: ignore[no-untyped-def]
    response = await web.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token(role, agency)}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def test_an_admin_signed_in_by_cookie_creates_a_user_who_then_signs_in(web: Web) -> None:
    csrf = (await web.login("admin1")).json()["csrfToken"]
    response = await web.gql(CREATE, csrf=csrf, u="li.si", p="另一个密码abc", r="LIAISON", a=HEALTH)
    created = response.json()["data"]["createUser"]
    assert created["__typename"] == "UserChanged", created
    assert created["user"] == {
        "username": "li.si",
        "displayName": "李四",
        "status": "ACTIVE",
        "role": "LIAISON",
        "agencyName": HEALTH,
        "region": None,
        "failedSignIns": 0,
    }
    web.client.cookies.clear()
    signed_in = await web.login("li.si", "另一个密码abc")
    assert signed_in.status_code == 200
    assert signed_in.json()["user"]["agencyId"] == str(agency_id(HEALTH))


async def test_a_password_under_eight_characters_is_refused_in_both_languages(web: Web) -> None:
    refused = await bearer(web, CREATE, "admin", u="wang.wu", p="short", r="AUDITOR")
    assert refused["__typename"] == "InvalidInput"
    assert refused["field"] == "password"
    assert "密码至少 8 个字符" in refused["message"] and "at least 8" in refused["message"]


async def test_a_taken_user_name_is_refused_naming_it(web: Web) -> None:
    refused = await bearer(web, CREATE, "admin", u="Zhang.San", p=PASSWORD, r="AUDITOR")
    assert refused["__typename"] == "InvalidInput"
    assert refused["field"] == "username"


async def test_a_liaison_role_without_an_agency_is_refused(web: Web) -> None:
    refused = await bearer(web, GRANT, "admin", u="auditor1", r="LIAISON")
    assert refused["__typename"] == "InvalidInput"
    assert refused["field"] == "agency"


async def test_a_region_is_granted_only_to_leadership(web: Web) -> None:
    refused = await bearer(web, GRANT, "admin", u="auditor1", r="AUDITOR", g="某某县")
    assert refused == {
        "__typename": "InvalidInput",
        "message": refused["message"],
        "field": "region",
    }
    granted = await bearer(web, GRANT, "admin", u="auditor1", r="LEADERSHIP", g="某某县")
    assert granted["user"]["role"] == "LEADERSHIP" and granted["user"]["region"] == "某某县"


@pytest.mark.parametrize(
    ("query", "variables", "role"),
    [
        (CREATE, {"u": "x.y", "p": PASSWORD, "r": "ADMIN"}, "coordinator"),
        (GRANT, {"u": "zhang.san", "r": "ADMIN"}, "liaison"),
        (REVOKE, {"u": "zhang.san"}, "auditor"),
        (RESET, {"u": "admin1", "p": "taken over!"}, "leadership"),
        (LOCK, {"u": "admin1"}, "coordinator"),
        (UNLOCK, {"u": "zhang.san"}, "auditor"),
        (DISABLE, {"u": "admin1"}, "liaison"),
    ],
)
async def test_only_admins_change_accounts(
    web: Web, query: str, variables: dict[str, Any], role: str
) -> None:
    agency = HEALTH if role == "liaison" else None
    refused = await bearer(web, query, role, agency, **variables)
    assert refused["__typename"] == "NotAllowed"
    assert " / " in refused["message"]
    assert web.app.get_account("admin1").role == "admin"


@pytest.mark.parametrize("role", ["coordinator", "auditor", "liaison"])
async def test_only_admins_list_users(web: Web, role: str) -> None:
    response = await web.client.post(
        "/graphql",
        json={"query": USERS},
        headers={"Authorization": f"Bearer {token(role, HEALTH)}"},
    )
    assert response.json()["data"] is None
    assert "may not list users" in response.json()["errors"][0]["message"]


async def test_users_are_listed_by_user_name_a_page_at_a_time(web: Web) -> None:
    first = await bearer(web, USERS, "admin")
    names = [e["node"]["username"] for e in first["edges"]]
    assert names == ["admin1", "auditor1"]
    assert first["pageInfo"]["hasNextPage"]
    rest = await bearer(web, USERS, "admin", after=first["pageInfo"]["endCursor"])
    assert [e["node"]["username"] for e in rest["edges"]] == ["zhang.san"]
    assert rest["edges"][0]["node"]["agencyName"] == HEALTH
    assert not rest["pageInfo"]["hasNextPage"]


async def test_a_locked_user_is_unlocked_by_an_admin_and_signs_in_again(web: Web) -> None:
    locked = await bearer(web, LOCK, "admin", u="zhang.san")
    assert locked["user"]["status"] == "LOCKED"
    assert (await web.login("zhang.san")).status_code == 423
    unlocked = await bearer(web, UNLOCK, "admin", u="zhang.san")
    assert unlocked["user"]["status"] == "ACTIVE"
    assert (await web.login("zhang.san")).status_code == 200


async def test_a_change_to_an_account_ends_its_sessions(web: Web) -> None:
    await web.login("zhang.san")
    assert (await web.client.get("/auth/session")).status_code == 200
    granted = await bearer(web, GRANT, "admin", u="zhang.san", r="INVESTIGATOR", a=INSURANCE)
    assert granted["__typename"] == "UserChanged"
    assert (await web.client.get("/auth/session")).status_code == 401
    again = await web.login("zhang.san")
    assert again.json()["user"]["role"] == "investigator"
    assert again.json()["user"]["agencyName"] == INSURANCE


async def test_a_reset_password_replaces_the_old_one(web: Web) -> None:
    reset = await bearer(web, RESET, "admin", u="zhang.san", p="a brand new one")
    assert reset["__typename"] == "UserChanged"
    assert (await web.login("zhang.san")).status_code == 401
    assert (await web.login("zhang.san", "a brand new one")).status_code == 200


async def test_an_unknown_user_name_is_not_found(web: Web) -> None:
    refused = await bearer(web, LOCK, "admin", u="nobody.here")
    assert refused["__typename"] == "NotFound"
    assert "nobody.here" in refused["message"]


async def test_a_disabled_account_takes_no_new_grant(web: Web) -> None:
    await bearer(web, DISABLE, "admin", u="zhang.san")
    refused = await bearer(web, GRANT, "admin", u="zhang.san", r="AUDITOR")
    assert refused["__typename"] == "InvalidTransition"
    assert refused["currentState"] == "DISABLED"


async def test_the_sign_in_log_holds_each_attempt_with_its_address_and_agent(web: Web) -> None:
    await web.login("zhang.san")
    await web.login("zhang.san", "wrong password")
    await web.login("nobody.here", "wrong password")
    page = await bearer(web, SIGN_IN_LOG, "auditor")
    assert [e["node"] for e in page["edges"]] == [
        {
            "username": "nobody.here",
            "outcome": "unknown_user",
            "address": "203.0.113.7",
            "userAgent": "pytest-browser/1.0",
        },
        {
            "username": "zhang.san",
            "outcome": "wrong_password",
            "address": "203.0.113.7",
            "userAgent": "pytest-browser/1.0",
        },
    ]
    rest = await bearer(web, SIGN_IN_LOG, "admin", after=page["pageInfo"]["endCursor"])
    assert [e["node"]["outcome"] for e in rest["edges"]] == ["signed_in"]
    assert not rest["pageInfo"]["hasNextPage"]


@pytest.mark.parametrize("role", ["coordinator", "leadership", "liaison"])
async def test_only_admins_and_auditors_read_the_sign_in_log(web: Web, role: str) -> None:
    response = await web.client.post(
        "/graphql",
        json={"query": SIGN_IN_LOG},
        headers={"Authorization": f"Bearer {token(role, HEALTH)}"},
    )
    assert "may not read the sign-in log" in response.json()["errors"][0]["message"]


async def test_the_password_hash_is_in_no_audit_trail_or_past_state(web: Web) -> None:
    await bearer(web, RESET, "admin", u="zhang.san", p="a brand new one")
    stored = web.app.get_account("zhang.san").password_hash
    assert stored and stored.startswith("$argon2id$")
    item = str(account_id("zhang.san"))
    for role in ("auditor", "admin", "coordinator"):
        trail = await bearer(web, TRAIL, role, id=item)
        as_of = await bearer(web, AS_OF, role, id=item)
        shown = json.dumps([trail, as_of], ensure_ascii=False)
        assert "$argon2" not in shown and stored not in shown
        assert "PasswordSet" in [e["type"] for e in trail]
        assert "受保护" in shown
    grants = [e for e in trail if e["type"] == "RoleGranted"]
    assert grants[0]["payload"]["role"] == "liaison"  # who granted what is in the trail


async def test_me_names_the_signed_in_account(web: Web) -> None:
    await web.login("zhang.san")
    response = await web.client.get(
        "/graphql", params={"query": "{ me { subject displayName region role } }"}
    )
    assert response.json()["data"]["me"] == {
        "subject": "zhang.san",
        "displayName": "zhang.san 姓名",
        "region": None,
        "role": "LIAISON",
    }
    assert web.client.cookies.get(COOKIE)


async def test_a_cursor_of_another_list_is_refused_naming_after(web: Web) -> None:
    await web.login("zhang.san")
    web.client.cookies.clear()
    log = await bearer(web, SIGN_IN_LOG, "admin")
    response = await web.client.post(
        "/graphql",
        json={"query": USERS, "variables": {"after": log["pageInfo"]["endCursor"]}},
        headers={"Authorization": f"Bearer {token('admin')}"},
    )
    assert response.json()["errors"][0]["extensions"]["field"] == "after"
