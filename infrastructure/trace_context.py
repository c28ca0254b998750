"""The trace a stored event was appended in, carried to the processes that read the log
later (docs/decisions/0063-one-trace-from-mutation-to-workflow.md).

A save made under a sampled span writes one row per event into `<events table>_traces`:
the event's notification id and the W3C `traceparent` of its append span — a version, a
random trace id, a random span id and flags, nothing a person typed (a CHECK constraint
holds the column to that shape). The row is beside the event, never in it: the event's
state and the hash chain over it are the same whether a save was traced or not, so the
audit chain, `rectify audit verify` and logs written before this table existed are
untouched. The dispatcher takes the rows of each batch it reads (and so prunes them) and
signals each clock under a span whose parent is the append's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from opentelemetry.trace import Span, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from psycopg.sql import SQL, Composed, Identifier, Literal

log = logging.getLogger(__name__)

# W3C trace context, version 00 and the future versions' first four fields
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
# Only the trace context: the baggage propagator could carry whatever a caller put in it.
PROPAGATOR = TraceContextTextMapPropagator()


def traces_table_name(events_table_name: str) -> str:
    return f"{events_table_name}_traces"


def create_statement(schema: str, events_table_name: str) -> Composed:
    return SQL(
        "CREATE TABLE IF NOT EXISTS {table} ("
        "notification_id bigint PRIMARY KEY, "
        "traceparent text NOT NULL CHECK (traceparent ~ {shape}))"
    ).format(
        table=Identifier(schema, traces_table_name(events_table_name)),
        shape=Literal(TRACEPARENT.pattern),
    )


def traceparent_of(span: Span) -> str | None:
    """The span's W3C traceparent, or None when it is not sampled (tracing off: the no-op
    tracer's spans are invalid, and nothing is written)."""
    context = span.get_span_context()
    if not context.is_valid or not context.trace_flags.sampled:
        return None
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier, context=set_span_in_context(span))
    found = carrier.get("traceparent")
    return found if found and TRACEPARENT.match(found) else None


def record_statement(schema: str, events_table_name: str) -> str:
    return (
        SQL(
            "INSERT INTO {table} (notification_id, traceparent) "
            "SELECT unnest(%s::bigint[]), %s ON CONFLICT (notification_id) DO NOTHING"
        )
        .format(table=Identifier(schema, traces_table_name(events_table_name)))
        .as_string()
    )


def take_statement(schema: str, events_table_name: str) -> Composed:
    """The rows up to a position, deleted as they are read: the dispatcher is their only
    reader, and a row written late (after the dispatcher passed its event) is pruned by
    the next batch rather than left behind."""
    return SQL(
        "DELETE FROM {table} WHERE notification_id <= %s RETURNING notification_id, traceparent"
    ).format(table=Identifier(schema, traces_table_name(events_table_name)))


def record(datastore: Any, statement: str, span: Span, notification_ids: Sequence[int]) -> None:
    """After the events committed: a failure here loses a trace, never a command (the
    caller was about to be told its events are stored)."""
    traceparent = traceparent_of(span)
    if traceparent is None or not notification_ids:
        return
    try:
        with datastore.get_connection() as conn:
            conn.execute(statement, (list(notification_ids), traceparent))
    except Exception:
        log.debug("trace context of %d events not recorded", len(notification_ids))
