"""A Prometheus port for the long-running roles (`rectify worker | dispatcher | notifier |
projections`), on RECTIFY_METRICS_PORT when set. Each scrape reads the figures from the
database, so they hold across restarts and are the same whichever role is asked: the log
head, each follower's lag, open and overdue clocks, escalations fired, deliveries failed;
with them the process's own counters (events appended, prometheus_client's process
figures). Nothing about any item or person."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from psycopg import sql

from domain.delivery import DeliveryStatus
from projections.status import EVENTS_TABLE, TRACKING_TABLES

CONNECT_SECONDS = 3


class DatabaseFigures(Collector):
    def __init__(self, url: str, schema: str) -> None:
        self.url, self.schema = url, schema

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("rectify_database_up", "Whether PostgreSQL answered this scrape")
        try:
            figures = list(self._figures())
        except psycopg.Error:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures

    def _figures(self) -> Iterator[Metric]:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_SECONDS) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))

            def value(query: str, *args: Any) -> int:
                if conn.execute("SELECT to_regclass(%s)", (args[0],)).fetchone() == (None,):
                    return 0  # a table nobody created yet in this schema
                row = conn.execute(query, args[1:]).fetchone()
                return int(row[0] or 0) if row else 0

            head = value(f"SELECT max(notification_id) FROM {EVENTS_TABLE}", EVENTS_TABLE)
            yield _gauge("rectify_log_head_position", "Position of the newest event", head)
            lag = GaugeMetricFamily(
                "rectify_follower_lag_events",
                "Events of the log a follower has not processed yet",
                labels=["follower", "kind"],
            )
            for table, kind in TRACKING_TABLES.items():
                if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,):
                    continue
                for name, position in conn.execute(f"SELECT name, position FROM {table}"):
                    lag.add_metric([name, kind], max(head - int(position), 0))
            yield lag
            open_clocks = "SELECT count(*) FROM issue_clocks WHERE NOT closed"
            yield _gauge(
                "rectify_open_clocks",
                "Issue clocks running or paused",
                value(open_clocks, "issue_clocks"),
            )
            overdue = open_clocks + " AND due_at < now()"
            yield _gauge(
                "rectify_overdue_clocks", "Open issue clocks past their due instant",
                value(overdue, "issue_clocks"),
            )  # fmt: skip
            fired = CounterMetricFamily(
                "rectify_escalations_fired", "Escalation rungs that have rung, by kind",
                labels=["kind"],
            )  # fmt: skip
            if conn.execute("SELECT to_regclass('stat_escalations')").fetchone() != (None,):
                for kind, count in conn.execute(
                    "SELECT kind, count(*) FROM stat_escalations GROUP BY kind ORDER BY kind"
                ):
                    fired.add_metric([kind], int(count))
            yield fired
            failed = "SELECT count(*) FROM notification_deliveries WHERE status = %s"
            yield CounterMetricFamily(
                "rectify_deliveries_failed",
                "Notification deliveries given up on (every attempt failed)",
                value=value(failed, "notification_deliveries", DeliveryStatus.FAILED.value),
            )


def _gauge(name: str, documentation: str, value: int) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class _ProcessWide(Collector):
    """prometheus_client's default registry: this process's own counters."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def role_registry(url: str, schema: str) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseFigures(url, schema))
    registry.register(_ProcessWide())
    return registry


@contextmanager
def serving_metrics(url: str, schema: str, host: str, port: int | None) -> Iterator[None]:
    """The role's metrics on host:port while it runs; nothing when no port is set."""
    if port is None:
        yield
        return
    server, thread = start_http_server(port, host, registry=role_registry(url, schema))
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


__all__ = ["DatabaseFigures", "role_registry", "serving_metrics"]
