"""Counters of the event store, in prometheus_client's default registry: every process
that writes (the API, the worker, the CLI) counts what it appended, and a process that
serves metrics (api/app.py /metrics, rectify/role_metrics.py) shows them."""

from __future__ import annotations

from prometheus_client import Counter

EVENTS_APPENDED = Counter(
    "rectify_events_appended",
    "Events this process appended to the log (after the commit)",
)
