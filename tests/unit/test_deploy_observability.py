"""The example alert rules and Grafana dashboard (deploy/observability/) name only metrics
the code exports, each with the suffix its type gives it, so a renamed metric cannot leave
an alert that never fires."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "deploy" / "observability"
SOURCES = [
    "api/observability.py",
    "api/app.py",
    "infrastructure/metrics.py",
    "rectify/role_metrics.py",
]
DEFINED = re.compile(
    r"\b(Counter|Gauge|Histogram|GaugeMetricFamily|CounterMetricFamily|_gauge)\(\s*"
    r"\"(rectify_\w+)\""
)
USED = re.compile(r"\brectify_\w+")
SUFFIXES = {
    "Counter": ("_total",),
    "CounterMetricFamily": ("_total",),
    "Histogram": ("_bucket", "_sum", "_count"),
    "Gauge": ("",),
    "GaugeMetricFamily": ("",),
    "_gauge": ("",),
}


def exported() -> set[str]:
    """Every series name the code can expose: a counter's with `_total`, a histogram's
    buckets, sum and count, a gauge's as named."""
    names: set[str] = set()
    for source in SOURCES:
        for kind, name in DEFINED.findall((ROOT / source).read_text(encoding="utf-8")):
            names |= {name + suffix for suffix in SUFFIXES[kind]}
    return names


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((FOLDER / "alerts.yaml").read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (FOLDER / "grafana-dashboard.json").read_text(encoding="utf-8")
    )
    return loaded


def test_the_code_exports_the_metrics_the_operators_watch() -> None:
    names = exported()
    for wanted in ("rectify_follower_lag_events", "rectify_overdue_clocks",
                   "rectify_deliveries_failed_total", "rectify_http_requests_total"):  # fmt: skip
        assert wanted in names


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_every_alert_names_exported_metrics_and_says_why_in_both_languages(
    rule: dict[str, Any],
) -> None:
    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert " / " in rule["annotations"]["summary"]  # 中文 / English
    assert rule["annotations"]["description"]
    used = set(USED.findall(rule["expr"]))
    assert used, rule["expr"]
    assert used <= exported(), used - exported()
    assert rule["expr"].count("(") == rule["expr"].count(")")


def test_the_alerts_cover_lag_overdue_spikes_and_failed_deliveries() -> None:
    used = {name for rule in alert_rules() for name in USED.findall(rule["expr"])}
    assert {"rectify_follower_lag_events", "rectify_overdue_clocks",
            "rectify_deliveries_failed_total"} <= used  # fmt: skip


def test_every_dashboard_panel_queries_exported_metrics() -> None:
    panels = dashboard()["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}"  # chosen on import
        for target in panel["targets"]:
            used = set(USED.findall(target["expr"]))
            assert used and used <= exported(), (panel["title"], used - exported())


def test_a_renamed_metric_would_be_caught() -> None:
    rule = {**alert_rules()[0], "expr": "rectify_database_upp == 0"}
    assert not set(USED.findall(rule["expr"])) <= exported()
