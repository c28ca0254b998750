"""Shared fixtures: a real PostgreSQL (DATABASE_URL, else the embedded one) and one fresh
schema per test, so tests never see each other's events or rows."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from rectify.embedded import start_embedded_postgres
from rectify.settings import eventsourcing_env


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    base = Path(tmp_path_factory.mktemp("pg"))
    url, server = start_embedded_postgres(base / "data")
    yield url
    server.cleanup()  # type: ignore[attr-defined]


@pytest.fixture
def schema(database_url: str) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def es_env(database_url: str, schema: str) -> dict[str, str]:
    return eventsourcing_env(database_url, schema)


@pytest.fixture
def app(es_env: dict[str, str]) -> Iterator[object]:
    from domain.application import RectifyApp

    application = RectifyApp(env=es_env)
    yield application
    application.close()


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadfile` with the browser tests kept together (tests/scheduling.py)."""
    if config.getoption("dist") != "loadfile":
        return None
    from tests.scheduling import BrowserTestsTogether

    return BrowserTestsTogether(config, log)  # type: ignore[arg-type]
