"""The roles' Prometheus ports: RECTIFY_METRICS_PORT serves, from the database, the log
head, each follower's lag, open and overdue clocks, escalations fired and deliveries
failed; the worker's RECTIFY_TEMPORAL_METRICS_PORT serves the Temporal SDK's own figures."""

from __future__ import annotations

import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from domain.application import RectifyApp
from domain.names import campaign_id, issue_id
from projections.runner import connect, ensure_schema
from rectify.embedded import find_binary
from rectify.role_metrics import serving_metrics
from tests.integration.api_fixtures import CAMPAIGN, HEALTH, import_known_ledger
from tests.integration.test_observability import sample
from tests.integration.test_role_processes import Role, environment, roles

__all__ = ["environment", "roles"]  # the role-process fixtures, used below


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape(port: int, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def seed_read_rows(database_url: str, schema: str) -> None:
    """Two open clocks (one overdue), one closed; an escalation; a failed delivery."""
    now = datetime.now(UTC)
    with connect(database_url, schema) as conn:
        ensure_schema(conn, schema)
        for due, closed in [(now - timedelta(days=1), False), (now + timedelta(days=9), False),
                            (now - timedelta(days=3), True)]:  # fmt: skip
            conn.execute(
                "INSERT INTO issue_clocks (issue_id, due_at, closed, last_position)"
                " VALUES (%s, %s, %s, 1)",
                (uuid.uuid4(), due, closed),
            )
        conn.execute(
            "INSERT INTO stat_escalations (item_id, key, kind, rung, at)"
            " VALUES (%s, 'k', 'issue', 'overdue', %s)",
            (uuid.uuid4(), now),
        )
        conn.execute(
            "INSERT INTO notification_deliveries (id, notification_id, channel, address, status,"
            " updated_at) VALUES (%s, %s, 'webhook', 'x', 'FAILED', %s)",
            (uuid.uuid4(), uuid.uuid4(), now),
        )


def test_the_figures_come_from_the_database(database_url: str, schema: str) -> None:
    port = free_port()
    with serving_metrics(database_url, schema, "127.0.0.1", port):
        empty = scrape(port)
        seed_read_rows(database_url, schema)
        seeded = scrape(port)
    assert sample(empty, "rectify_database_up") == 1
    assert sample(empty, "rectify_open_clocks") == 0
    assert sample(seeded, "rectify_open_clocks") == 2
    assert sample(seeded, "rectify_overdue_clocks") == 1
    assert sample(seeded, "rectify_escalations_fired_total", kind="issue") == 1
    assert sample(seeded, "rectify_deliveries_failed_total") == 1
    assert "rectify_events_appended_total" in seeded  # the process's own counters too


def test_no_port_serves_nothing(database_url: str, schema: str) -> None:
    port = free_port()
    with (
        serving_metrics(database_url, schema, "127.0.0.1", None),
        pytest.raises(httpx.TransportError),
    ):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def projection_lags(text: str) -> list[float]:
    return [
        found.value
        for family in text_string_to_metric_families(text)
        for found in family.samples
        if found.name == "rectify_follower_lag_events" and found.labels["kind"] == "projection"
    ]


def caught_up(port: int) -> str:
    for _ in range(300):
        text = scrape(port)
        if projection_lags(text) and max(projection_lags(text)) == 0:
            return text
        time.sleep(0.1)
    raise AssertionError(f"the projections never caught up:\n{text}")


def test_the_projection_runner_serves_its_lag_on_its_port(
    app: RectifyApp, environment: dict[str, str], roles: list[Role]
) -> None:
    import_known_ledger(app)
    port = free_port()
    roles.append(Role("projections", {**environment, "RECTIFY_METRICS_PORT": str(port)}))
    roles[0].wait_for("started")
    first = caught_up(port)
    assert sample(first, "rectify_log_head_position") == app.recorder.max_notification_id()
    app.submit_for_verification(issue_id(campaign_id(CAMPAIGN), "1"), "已完成", HEALTH)
    moved = caught_up(port)
    assert sample(moved, "rectify_log_head_position") > sample(first, "rectify_log_head_position")
    assert roles[0].stop() == 0, "".join(roles[0].lines)


async def test_the_worker_serves_the_temporal_sdk_metrics(
    environment: dict[str, str], roles: list[Role]
) -> None:
    port = free_port()
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal")
    ) as temporal:
        address = temporal.client.service_client.config.target_host
        env: dict[str, Any] = {
            **environment,
            "TEMPORAL_ADDRESS": address,
            "RECTIFY_TASK_QUEUE": "metrics-test",
            "RECTIFY_TEMPORAL_METRICS_PORT": str(port),
        }
        roles.append(Role("worker", env))
        roles[0].wait_for("started")
        text = scrape(port)
        assert roles[0].stop() == 0, "".join(roles[0].lines)
    assert "temporal_" in text, text[:2000]
