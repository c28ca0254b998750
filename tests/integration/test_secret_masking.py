"""No secret leaves through any read: every event field classified secret
(domain/personal_data.py, PROTECT) is driven through every read path of events and states —
GraphQL `auditTrail` (payloads and before/after changes) and `itemAsOf` (every version), as
coordinators, auditors and the item's own agency's staff; `rectify audit export` as JSON
and HTML (the case files); `rectify audit log` (NDJSON) — and its distinctive value must
appear in none of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from typer.testing import CliRunner, Result

from api.passwords import hash_password
from domain.accounts import account_id
from domain.application import RectifyApp
from domain.clues import Clue
from domain.delivery import ChannelKind, endpoints_id
from domain.names import agency_id
from domain.personal_data import FIELDS, Treatment
from domain.reporter_identity import KEYS_VARIABLE, PROTECTED, ReporterIdentity, new_key
from rectify.cli import app as cli
from tests.integration.api_fixtures import HEALTH, Api, api, projection_thread, token

FIXTURES = (api, projection_thread)
Run = Callable[..., Result]

TRAIL = """query($id: ID!) { auditTrail(id: $id) {
  version actor type topic changes { field before after } payload } }"""
AS_OF = """query($id: ID!, $version: Int) { itemAsOf(id: $id, version: $version) }"""
# the oversight roles read any item's history; the agency's own staff read its own items'
READERS: list[tuple[str, str | None]] = [
    ("coordinator", None),
    ("auditor", None),
    ("admin", None),
    ("liaison", HEALTH),
    ("investigator", HEALTH),
    ("agency_head", HEALTH),
]


@dataclass(frozen=True)
class Planted:
    item: UUID
    secrets: list[str]  # distinctive values that must be shown nowhere
    seen: str  # a value of the same item that is shown, so the read is not empty


def _unique(label: str) -> str:
    return f"{label}-{uuid4().hex}"


def _webhook_secret(app: RectifyApp, env: dict[str, str]) -> Planted:
    """Two webhooks in the agency's endpoints map, one with a new key later (a change whose
    before and after both hold a key), and a webhook address carrying its own token."""
    agency = app.register_agency(HEALTH, actor="t").id
    first, second, rotated, token_in_url = (
        _unique(k) for k in ("whsec-first", "whsec-second", "whsec-rotated", "dtk")
    )
    hooks = "https://hooks.example/rectify"
    for url, secret in (
        (hooks, first),
        ("https://other.example/in", second),
        (f"https://oapi.dingtalk.com/robot/send?access_token={token_in_url}", _unique("sig")),
        (hooks, rotated),
    ):
        app.add_endpoint(agency, ChannelKind.WEBHOOK, url, secret=secret, actor="管理员")
    return Planted(endpoints_id(agency), [first, second, rotated, token_in_url], "hooks.example")


def _sealed_identity(app: RectifyApp, env: dict[str, str]) -> Planted:
    """A real-name clue: the ciphertext and nonce of the reporter's sealed identity."""
    app.register_agency(HEALTH, actor="t")
    name, phone = "实名举报人" + uuid4().hex[:6], "139" + str(uuid4().int)[:8]
    clue = app.receive_clue(
        agency_id(HEALTH), "HOTLINE_12320", "无证开展医疗美容", actor="卫健局张三",
        institution="某美容院", reporter=ReporterIdentity(name, phone), real_name=True,
    ).id  # fmt: skip
    sealed = app.get_clue(clue).sealed_identity
    assert sealed is not None
    return Planted(clue, [sealed["ct"], sealed["nonce"], name, phone], "某美容院")


def _resealed_identity(app: RectifyApp, env: dict[str, str]) -> Planted:
    """A key rotation: the identity sealed again under the new key (IdentityResealed)."""
    old, new = new_key(), new_key()
    app.register_agency(HEALTH, actor="t")
    with closing(RectifyApp(env={**env, KEYS_VARIABLE: f"k1:{old}"})) as before:
        clue = before.receive_clue(
            agency_id(HEALTH), "MAILBOX", "某诊所无证行医", actor="卫健局张三",
            institution="某诊所", reporter=ReporterIdentity("举报人吴十", "13811112222"),
            real_name=True,
        ).id  # fmt: skip
        first = before.get_clue(clue).sealed_identity
    with closing(RectifyApp(env={**env, KEYS_VARIABLE: f"k2:{new},k1:{old}"})) as rotating:
        assert rotating.reseal_clue(clue, "密钥轮换").changed
        events = list(rotating.repository.event_store.get(clue))
    assert first is not None and isinstance(events[-1], Clue.IdentityResealed)
    resealed = events[-1].sealed_identity
    return Planted(clue, [first["ct"], resealed["ct"], resealed["nonce"]], "某诊所")


def _password_hash(app: RectifyApp, env: dict[str, str]) -> Planted:
    """A web account of the agency whose password is set, then set again (a change whose
    before and after both hold a hash): the argon2 hashes, and their salt and digest."""
    health = app.register_agency(HEALTH, actor="t").id
    first, second = hash_password(_unique("first")), hash_password(_unique("second"))
    name = "zhang." + uuid4().hex[:8]
    app.add_account(name, "张三", first, "管理员", grant=("liaison", health, HEALTH, None))
    app.set_account_password(name, second, "管理员")
    parts = [part for hashed in (first, second) for part in hashed.rsplit("$", 2)[1:]]
    return Planted(account_id(name), [first, second, *parts], name)


SCENARIOS: dict[tuple[str, str], Callable[[RectifyApp, dict[str, str]], Planted]] = {
    ("rectify:Endpoints.EndpointAdded", "secret"): _webhook_secret,
    ("rectify:Clue.Received", "sealed_identity"): _sealed_identity,
    ("rectify:Clue.IdentityResealed", "sealed_identity"): _resealed_identity,
    ("rectify:Account.PasswordSet", "password_hash"): _password_hash,
}
IDS = [f"{topic.partition(':')[2]}.{field}" for topic, field in SCENARIOS]


def test_every_field_classified_secret_is_driven_through_the_read_paths() -> None:
    """A field newly classified PROTECT needs a scenario here before the suite passes."""
    classified = {
        (topic, name)
        for topic, fields in FIELDS.items()
        for name, treatment in fields.items()
        if treatment is Treatment.PROTECT
    }
    assert set(SCENARIOS) == classified


def _planted(app: RectifyApp, es_env: dict[str, str], key: tuple[str, str]) -> Planted:
    planted = SCENARIOS[key](app, es_env)
    stored = repr(list(app.repository.event_store.get(planted.item)))
    assert all(s in stored for s in planted.secrets[:2]), "the secret is really in the log"
    return planted


def _assert_hidden(text: str, planted: Planted, where: str, seen: str | None = None) -> None:
    assert (seen or planted.seen) in text, f"{where}: the item was not read at all"
    for secret in planted.secrets:
        assert secret not in text, f"{where} shows {secret}"


@pytest.fixture
def run(database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECTIFY_DB_SCHEMA", schema)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


async def _graphql(api: Api, query: str, role: str, agency: str | None, **variables: object) -> str:
    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token(role, agency)}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, response.text
    return json.dumps(body, ensure_ascii=False)  # the text as read, not \\u-escaped


@pytest.mark.parametrize("key", list(SCENARIOS), ids=IDS)
async def test_no_secret_in_the_graphql_trail_or_any_past_state_for_any_reader(
    api: Api, app: RectifyApp, es_env: dict[str, str], key: tuple[str, str]
) -> None:
    planted = _planted(app, es_env, key)
    item = str(planted.item)
    versions = len(app.audit_trail(planted.item))

    for role, agency in READERS:
        trail = await _graphql(api, TRAIL, role, agency, id=item)
        _assert_hidden(trail, planted, f"auditTrail as {role}")
        assert PROTECTED in trail
        for version in [None, *range(1, versions + 1)]:
            state = await _graphql(api, AS_OF, role, agency, id=item, version=version)
            _assert_hidden(state, planted, f"itemAsOf v{version} as {role}", seen=item)


@pytest.mark.parametrize("fmt", ["json", "html"])
@pytest.mark.parametrize("key", list(SCENARIOS), ids=IDS)
def test_no_secret_in_the_exported_case_file(
    app: RectifyApp, es_env: dict[str, str], run: Run, key: tuple[str, str], fmt: str
) -> None:
    planted = _planted(app, es_env, key)

    result = run("audit", "export", str(planted.item), "--format", fmt)

    assert result.exit_code == 0, result.output
    _assert_hidden(result.stdout, planted, f"audit export --format {fmt}")
    assert "受保护" in result.stdout


@pytest.mark.parametrize("key", list(SCENARIOS), ids=IDS)
def test_no_secret_in_the_ndjson_log(
    app: RectifyApp, es_env: dict[str, str], run: Run, key: tuple[str, str], tmp_path: Path
) -> None:
    planted = _planted(app, es_env, key)
    out = tmp_path / "log.ndjson"

    result = run("audit", "log", "--out", str(out))

    assert result.exit_code == 0, result.output
    _assert_hidden(out.read_text(encoding="utf-8"), planted, "audit log")
