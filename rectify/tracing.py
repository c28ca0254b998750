"""OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then each process
exports its spans by OTLP over HTTP (the exporter reads the standard OTEL_* variables),
named `rectify-<role>`. What is traced is wired where it happens: GraphQL operations and
resolvers (api/schema.py), appends to the event store (infrastructure/event_store.py),
the dispatcher's signals (workflows/dispatcher.py), the Temporal client and worker (their
TracingInterceptor), and every statement psycopg and asyncpg send (their own
instrumentations, `instrument_drivers`). A traced append stores its W3C trace context
beside its events (infrastructure/trace_context.py, ADR 0063), so the dispatcher —
another process, reading the log later — continues the mutation's trace into the
workflow it signals."""

from __future__ import annotations

import os
from typing import Any

ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"


def tracing_enabled() -> bool:
    return bool(os.environ.get(ENDPOINT))


def start_tracing(process: str) -> bool:
    """The process's tracer provider, when an endpoint is configured; False otherwise."""
    if not tracing_enabled():
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"rectify-{process}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    instrument_drivers(provider)
    return True


def instrument_drivers(provider: Any) -> None:
    """The drivers' own spans: each statement psycopg (the event store, the commands, the
    followers) and asyncpg (the API's reads) sends, under whatever span is current — so a
    mutation's trace shows the append's statements. Statements only, never their
    parameters (the instrumentations' default), which can hold personal data. Connections
    opened before this are not traced: it runs before any pool is made."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    AsyncPGInstrumentor().instrument(  # type: ignore[no-untyped-call]
        tracer_provider=provider, skip_dep_check=True
    )


def uninstrument_drivers() -> None:
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    PsycopgInstrumentor().uninstrument()
    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
