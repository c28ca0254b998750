"""Traces: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; when on, a mutation's trace holds
its GraphQL operation and, under it, the append to the event store — and never the
arguments, which can hold personal data — and the dispatcher's Temporal calls are traced.
Spans are caught in memory here instead of OTLP."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from uuid import uuid4

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import ApiConfig
from domain.application import RectifyApp
from domain.deadlines import Deadline
from rectify.embedded import find_binary
from rectify.tracing import start_tracing
from tests.integration.api_fixtures import (
    HEALTH,
    SECRET,
    import_known_ledger,
    issue,
    projection_thread,
    served,
    token,
)
from tests.integration.temporal_fixtures import register_issue
from tests.integration.test_observability import SUBMIT
from workflows.dispatcher import Dispatcher
from workflows.worker import tracing_interceptors

__all__ = ["projection_thread"]  # a fixture, used below


class WhileTesting(InMemorySpanExporter):
    """Keeps spans only during these tests: the provider outlives them (one a process)."""

    keeping = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return super().export(spans) if self.keeping else SpanExportResult.SUCCESS


CAUGHT = WhileTesting()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's provider (set once: OpenTelemetry allows one), spans kept in memory."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(CAUGHT))
        trace.set_tracer_provider(provider)
    CAUGHT.clear()
    CAUGHT.keeping = True
    yield CAUGHT
    CAUGHT.keeping = False
    CAUGHT.clear()


def test_tracing_is_off_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert start_tracing("api") is False


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_a_mutation_traces_the_operation_and_the_append_under_it(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    projection_thread: object,
    spans: InMemorySpanExporter,
) -> None:
    import_known_ledger(app)
    spans.clear()
    config = ApiConfig(database_url, schema, dict(es_env), SECRET, traced=True)
    async with served(config) as http:
        answer = await http.post(
            "/graphql",
            json={"query": SUBMIT, "variables": {"id": issue("1")}},
            headers={"Authorization": f"Bearer {token('liaison', HEALTH)}"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["result"]["__typename"] == "IssueChanged"
    found = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in found}
    append = next(span for span in found if span.name == "event_store.append")
    assert "GraphQL Query: SubmitForVerification" in ancestors(append, by_id)
    assert not [
        key for span in found for key in (span.attributes or {}) if key.startswith("graphql.param")
    ]


async def test_untraced_the_api_makes_no_graphql_spans(
    es_env: dict[str, str], database_url: str, schema: str, spans: InMemorySpanExporter
) -> None:
    async with served(ApiConfig(database_url, schema, dict(es_env), SECRET)) as http:
        await http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {token('coordinator')}"},
        )
    assert not [span for span in spans.get_finished_spans() if span.name.startswith("GraphQL")]


async def test_temporal_calls_are_traced_when_tracing_is_on(
    app: RectifyApp, database_url: str, schema: str, spans: InMemorySpanExporter
) -> None:
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server")
    ) as env:
        target = env.client.service_client.config.target_host
        client = await Client.connect(target, interceptors=tracing_interceptors(True))
        register_issue(app, Deadline.on(date(2099, 12, 31)))
        dispatcher = Dispatcher(app, database_url, schema, client, f"traced-{uuid4().hex[:8]}")
        try:
            await dispatcher.dispatch_pending()
        finally:
            dispatcher.close()
    names = {span.name for span in spans.get_finished_spans()}
    assert "SignalWithStartWorkflow:ClockWorkflow" in names, names


def test_no_interceptor_when_tracing_is_off() -> None:
    assert tracing_interceptors(False) == []
