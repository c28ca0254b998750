"""Persisted queries: in production only allow-listed documents run, named by hash (Apollo
APQ shape) or sent whole; in development anything runs. The checked-in list is the pages'."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from api.app import ApiConfig, create_app
from api.persisted import (
    CHECKED_IN,
    document_hash,
    load_allow_list,
    page_documents,
    pages_allow_list,
    render,
)
from domain.application import RectifyApp
from projections import catch_up
from rectify.cli import app as cli
from tests.integration.api_fixtures import SECRET, import_known_ledger, token

Client = Callable[[bool], Any]
CAMPAIGNS = next(d for page, d in page_documents() if "query CockpitCampaigns" in d)
DASHBOARD = next(d for page, d in page_documents() if "query Cockpit(" in d)
UNKNOWN = "{ campaigns { id } }"
LAUNCH = 'mutation { launchCampaign(title: "未登记的专项") { __typename } }'


@pytest.fixture
async def client(
    app: RectifyApp, es_env: dict[str, str], database_url: str, schema: str
) -> AsyncIterator[Client]:
    """`await client(production)`: an httpx client of the API in that mode."""
    import_known_ledger(app)
    catch_up(es_env, database_url, schema)
    opened: list[Any] = []

    async def open_client(production: bool) -> httpx.AsyncClient:
        config = ApiConfig(database_url, schema, dict(es_env), SECRET, production=production)
        web = create_app(config)
        lifespan = web.router.lifespan_context(web)
        await lifespan.__aenter__()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token('coordinator')}"},
        )
        opened.append((lifespan, http))
        return http

    yield open_client
    for lifespan, http in opened:
        await http.aclose()
        await lifespan.__aexit__(None, None, None)


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_an_allowed_hash_runs_its_document_in_production(client: Client) -> None:
    http = await client(True)

    response = await http.post(
        "/graphql",
        json={
            "extensions": apq(document_hash(DASHBOARD)),
            "variables": {"campaign": "x", "year": 2026},
        },
    )

    assert response.status_code == 200, response.text
    assert "dashboard" in response.json()["data"]


async def test_an_allowed_document_sent_whole_runs_in_production(client: Client) -> None:
    http = await client(True)

    response = await http.post("/graphql", json={"query": CAMPAIGNS})

    assert response.status_code == 200, response.text
    assert response.json()["data"]["campaigns"]


async def test_an_allowed_hash_runs_through_get_in_production(client: Client) -> None:
    http = await client(True)

    response = await http.get(
        "/graphql", params={"extensions": json.dumps(apq(document_hash(CAMPAIGNS)))}
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["campaigns"]


async def test_an_unknown_query_is_refused_in_production(client: Client) -> None:
    http = await client(True)

    response = await http.post("/graphql", json={"query": UNKNOWN})

    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert "已登记" in error["message"] and "allow-listed" in error["message"]


async def test_an_unknown_mutation_is_refused_before_it_runs_in_production(
    client: Client, app: RectifyApp
) -> None:
    http = await client(True)
    head = app.recorder.max_notification_id()

    response = await http.post("/graphql", json={"query": LAUNCH})

    assert response.status_code == 403
    assert app.recorder.max_notification_id() == head


async def test_an_unknown_hash_is_refused_in_production(client: Client) -> None:
    http = await client(True)

    response = await http.post("/graphql", json={"extensions": apq("0" * 64)})

    assert response.status_code == 403


async def test_a_hash_that_is_not_the_query_s_is_refused_in_production(client: Client) -> None:
    http = await client(True)

    response = await http.post(
        "/graphql", json={"query": UNKNOWN, "extensions": apq(document_hash(CAMPAIGNS))}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_any_query_runs_in_development(client: Client) -> None:
    http = await client(False)

    response = await http.post("/graphql", json={"query": UNKNOWN})

    assert response.status_code == 200, response.text
    assert response.json()["data"]["campaigns"]


def test_the_checked_in_list_is_the_pages_documents() -> None:
    # Regenerate with: .venv/bin/rectify persisted-queries > api/persisted_queries.json
    assert CHECKED_IN.read_text(encoding="utf-8") == render(pages_allow_list())
    assert len(load_allow_list()) == len({document_hash(d) for _, d in page_documents()})


def test_a_list_whose_key_is_not_its_document_s_hash_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / "allowed.json"
    tampered.write_text(json.dumps({document_hash(CAMPAIGNS): UNKNOWN}), encoding="utf-8")

    with pytest.raises(ValueError, match="not the sha256 of its document"):
        load_allow_list(str(tampered))


def test_the_command_prints_the_pages_list_plus_an_operator_s_documents(tmp_path: Path) -> None:
    extra = tmp_path / "extra.graphql"
    extra.write_text(UNKNOWN, encoding="utf-8")
    runner = CliRunner()

    plain = runner.invoke(cli, ["persisted-queries"], catch_exceptions=False)
    added = runner.invoke(cli, ["persisted-queries", "--add", str(extra)], catch_exceptions=False)

    assert plain.exit_code == 0 and added.exit_code == 0, added.output
    assert plain.output == CHECKED_IN.read_text(encoding="utf-8")
    written = tmp_path / "allowed.json"
    written.write_text(added.output, encoding="utf-8")
    assert set(load_allow_list(str(written))) == set(load_allow_list()) | {document_hash(UNKNOWN)}
