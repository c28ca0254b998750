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


def tracing() -> bool:
    """Whether a tracer provider has been set (rectify/tracing.py): until then every span
    is a no-op that records nothing, and an append need not make one (ADR 0068: making
    and attaching it cost a few per cent of a command's CPU)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
