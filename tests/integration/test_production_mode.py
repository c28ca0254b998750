"""Production mode: introspection refused, the schema otherwise the same."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.app import ApiConfig, create_app
from api.persisted import allow_list, render
from tests.integration.api_fixtures import SECRET, token

INTROSPECTION = "{ __schema { queryType { name } } }"


async def _post(
    es_env: dict[str, str], database_url: str, schema: str, production: bool, allowed: Path
) -> dict:
    config = ApiConfig(database_url, schema, dict(es_env), SECRET, production=production)
    config.persisted_queries = str(allowed)
    web = create_app(config)
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/graphql",
                json={"query": INTROSPECTION},
                headers={"Authorization": f"Bearer {token('admin')}"},
            )
            assert response.status_code == 200
            return response.json()  # type: ignore[no-any-return]


@pytest.fixture
async def ask(
    es_env: dict[str, str], database_url: str, schema: str, tmp_path: Path
) -> AsyncIterator[object]:
    # The introspection query on the allow-list, so that the schema's own refusal is tested
    # behind the persisted-query check (test_persisted_queries.py tests that check).
    allowed = tmp_path / "allowed.json"
    allowed.write_text(render(allow_list([INTROSPECTION])), encoding="utf-8")

    async def ask(production: bool) -> dict:
        return await _post(es_env, database_url, schema, production, allowed)

    yield ask


async def test_introspection_is_refused_in_production(ask) -> None:  # type: ignore[no-untyped-def]
    body = await ask(True)
    assert body.get("data") is None
    assert "introspection" in body["errors"][0]["message"].lower()


async def test_introspection_answers_in_development(ask) -> None:  # type: ignore[no-untyped-def]
    body = await ask(False)
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
