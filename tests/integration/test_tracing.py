"""Traces: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; when on, a mutation's trace holds
its GraphQL operation and, under it, the append to the event store — and never the
arguments, which can hold personal data — and, carried through the log's trace table
(ADR 0063), the dispatcher's signal and the workflow it started. The trace table holds
only W3C trace contexts and leaves the audit chain as it was. Spans are caught in memory
here instead of OTLP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import date
from uuid import uuid4

import httpx
import psycopg
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
from infrastructure.checkpoints import take_checkpoint
from infrastructure.custody import custody_of
from infrastructure.event_store import ChunkedApplicationRecorder
from infrastructure.trace_context import traceparent_of
from infrastructure.verification import verify
from rectify.embedded import find_binary
from rectify.settings import DEV_AUDIT_KEY
from rectify.tracing import instrument_drivers, start_tracing, uninstrument_drivers
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
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
from workflows.worker import build_worker, tracing_interceptors

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


async def _submit_traced(es_env: dict[str, str], database_url: str, schema: str) -> httpx.Response:
    """Issue 1 submitted for verification by its liaison, through a traced API."""
    config = ApiConfig(database_url, schema, dict(es_env), SECRET, traced=True)
    async with served(config) as http:
        return await http.post(
            "/graphql",
            json={"query": SUBMIT, "variables": {"id": issue("1")}},
            headers={"Authorization": f"Bearer {token('liaison', HEALTH)}"},
        )


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
    answer = await _submit_traced(es_env, database_url, schema)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["result"]["__typename"] == "IssueChanged"
    found = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in found}
    append = next(span for span in found if span.name == "event_store.append")
    assert "GraphQL Query: SubmitForVerification" in ancestors(append, by_id)
    assert not [
        key for span in found for key in (span.attributes or {}) if key.startswith("graphql.param")
    ]


async def test_the_drivers_statements_of_a_mutation_are_spans_of_its_trace(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    projection_thread: object,
    spans: InMemorySpanExporter,
) -> None:
    import_known_ledger(app)
    spans.clear()
    instrument_drivers(trace.get_tracer_provider())
    try:
        answer = await _submit_traced(es_env, database_url, schema)
    finally:
        uninstrument_drivers()
    assert answer.status_code == 200, answer.text
    found = spans.get_finished_spans()
    append = next(span for span in found if span.name == "event_store.append")
    statements = [
        span
        for span in found
        if span.instrumentation_scope is not None
        and span.instrumentation_scope.name == "opentelemetry.instrumentation.psycopg"
    ]
    under_append = [
        span
        for span in statements
        if span.parent is not None and span.parent.span_id == append.context.span_id
    ]
    assert under_append, [span.name for span in statements]
    assert all(span.context.trace_id == append.context.trace_id for span in under_append)
    assert not [
        key for span in statements for key in (span.attributes or {}) if "param" in key.lower()
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


REGISTER = """mutation RegisterIssue($input: RegisterIssueInput!) {
  result: registerIssue(input: $input) { __typename ... on IssueChanged { position } } }"""
NEW_ISSUE = {
    "campaign": CAMPAIGN,
    "number": "6",
    "problem": "违规收费",
    "measures": ["退费"],
    "leadAgency": INSURANCE,
    "deadline": "2099年5月中旬",
}
# what the acceptance asks one trace to show: the API, the event store, the dispatcher and
# the workflow the mutation's event started (and the activity it ran)
ACROSS = {
    "event_store.append",
    "dispatcher.signal",
    "SignalWithStartWorkflow:ClockWorkflow",
    "RunWorkflow:ClockWorkflow",
    "RunActivity:load_clock",
}


def _traces_table(database_url: str, schema: str) -> list[tuple[int, str]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f'SELECT notification_id, traceparent FROM "{schema}".rectify_events_traces'
        ).fetchall()
    return [(int(n), str(t)) for n, t in rows]


async def test_one_trace_runs_from_a_mutation_to_the_workflow_it_started(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    projection_thread: object,
    spans: InMemorySpanExporter,
) -> None:
    import_known_ledger(app)
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server")
    ) as env:
        target = env.client.service_client.config.target_host
        client = await Client.connect(target, interceptors=tracing_interceptors(True))
        queue = f"traced-{uuid4().hex[:8]}"
        dispatcher = Dispatcher(app, database_url, schema, client, queue)
        try:
            await dispatcher.dispatch_pending()  # the ledger's own clocks, before the mutation
            assert _traces_table(database_url, schema) == []  # taken as they were read
            spans.clear()
            config = ApiConfig(database_url, schema, dict(es_env), SECRET, traced=True)
            async with served(config) as http:
                answer = await http.post(
                    "/graphql",
                    json={"query": REGISTER, "variables": {"input": NEW_ISSUE}},
                    headers={"Authorization": f"Bearer {token('coordinator')}"},
                )
            assert answer.json()["data"]["result"]["__typename"] == "IssueChanged", answer.text
            position = answer.json()["data"]["result"]["position"]
            stored = dict(_traces_table(database_url, schema))
            assert position in stored

            async with build_worker(client, app, queue):
                await dispatcher.dispatch_pending()
                # until the worker has run the workflow and its first activity (bounded)
                for _ in range(600):
                    if {span.name for span in spans.get_finished_spans()} >= ACROSS:
                        break
                    await asyncio.sleep(0.1)
        finally:
            dispatcher.close()

    found = spans.get_finished_spans()
    mutation = _trace_id(stored[position])
    append = next(
        span
        for span in found
        if span.name == "event_store.append" and span.context.trace_id == mutation
    )
    one_trace = [span for span in found if span.context.trace_id == append.context.trace_id]
    names = {span.name for span in one_trace}
    assert names >= ACROSS, names
    assert any(name.startswith("GraphQL") for name in names), names
    signal = next(span for span in one_trace if span.name == "dispatcher.signal")
    assert signal.parent is not None and signal.parent.span_id == append.context.span_id
    by_id = {span.context.span_id: span for span in one_trace}
    run = next(span for span in one_trace if span.name == "RunWorkflow:ClockWorkflow")
    assert "dispatcher.signal" in ancestors(run, by_id)
    # the dispatcher took the mutation's row (the clocks' own records may have added more)
    assert position not in dict(_traces_table(database_url, schema))


def _trace_id(traceparent: str) -> int:
    return int(traceparent.split("-")[1], 16)


async def test_the_trace_table_leaves_the_audit_chain_as_it_was(
    app: RectifyApp, database_url: str, schema: str, spans: InMemorySpanExporter
) -> None:
    """A traced save writes a row per event beside the log, none into it: the chain, its
    checkpoints and `audit verify` see the same events as without tracing."""
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("a traced command"):
        import_known_ledger(app)
    rows = _traces_table(database_url, schema)
    assert rows and len(rows) == app.recorder.max_notification_id()
    recorder = app.recorder
    assert isinstance(recorder, ChunkedApplicationRecorder)
    custody = custody_of(app, DEV_AUDIT_KEY, 10)
    take_checkpoint(recorder, custody)
    assert verify(recorder, custody).intact


def test_the_trace_table_holds_only_trace_contexts(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    """Nothing a person typed can be stored there, whatever a caller sends."""
    with psycopg.connect(database_url) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            f'INSERT INTO "{schema}".rectify_events_traces VALUES (1, %s)', ("13907316652",)
        )


def test_an_unsampled_span_has_no_trace_context_to_store() -> None:
    assert traceparent_of(trace.INVALID_SPAN) is None


async def test_a_log_without_trace_rows_is_signalled_under_traces_of_its_own(
    app: RectifyApp, database_url: str, schema: str, spans: InMemorySpanExporter
) -> None:
    """Events written before the trace table existed (or untraced): the signal is sent all
    the same, its span a root of its own."""
    register_issue(app, Deadline.on(date(2099, 12, 31)))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP TABLE "{schema}".rectify_events_traces')
    spans.clear()
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server")
    ) as env:
        target = env.client.service_client.config.target_host
        client = await Client.connect(target, interceptors=tracing_interceptors(True))
        dispatcher = Dispatcher(app, database_url, schema, client, f"traced-{uuid4().hex[:8]}")
        try:
            assert await dispatcher.dispatch_pending() > 0
        finally:
            dispatcher.close()
    found = spans.get_finished_spans()
    (signal,) = [span for span in found if span.name == "dispatcher.signal"]
    assert signal.parent is None
    assert any(span.name == "SignalWithStartWorkflow:ClockWorkflow" for span in found)
