"""The event store's counters, in prometheus_client's default registry: every process that
writes (the API, the worker, the CLI) counts what it appended, and a process that serves
metrics (api/app.py /metrics, rectify/role_metrics.py) shows them. Its tracer too."""

from __future__ import annotations

from opentelemetry import trace
from prometheus_client import Counter

EVENTS_APPENDED = Counter(
    "rectify_events_appended",
    "Events this process appended to the log (after the commit)",
)

# a no-op until a process starts tracing (rectify/tracing.py)
TRACER = trace.get_tracer("rectify.event_store")
