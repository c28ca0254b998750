"""The whole log as NDJSON, for external auditors (`rectify audit log`). The log stays close
to the stored events (ids, field names) for machines, its times in China time, personal data
masked as in a case file (projections/case_files.py). It is read through a server-side
cursor in batches, so memory does not grow with the log (only the masked names seen, per
item).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from eventsourcing.persistence import StoredEvent
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.application import RectifyApp
from domain.audit_trail import event_payload, plain
from domain.personal_data import Masker
from domain.trail_labels import china_time
from infrastructure.event_store import ChunkedApplicationRecorder
from projections.case_files import remember_reporter

BATCH = 1000


def write_log(app: RectifyApp, out: TextIO, batch: int = BATCH) -> int:
    """Every event of the ledger's log as one JSON line, in log order; returns the count.

    Each line: position, stream, version, topic, timestamp, the stored hash (hex, or null
    for an event without one) and the decoded payload with personal data masked.
    """
    recorder = app.recorder
    if not isinstance(recorder, ChunkedApplicationRecorder):
        raise TypeError("APPLICATION_RECORDER_TOPIC: not the hash-chaining recorder")
    query = SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        "h.hash FROM {schema}.{events} AS e LEFT JOIN {schema}.{hashes} AS h "
        "USING (originator_id, originator_version) ORDER BY e.notification_id"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        events=Identifier(recorder.events_table_name),
        hashes=Identifier(recorder.hashes_table_name),
    )
    count = 0
    masker = Masker()
    # A named (server-side) cursor needs a transaction; REPEATABLE READ gives one snapshot.
    with recorder.datastore.get_connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with conn.cursor(name="audit_ndjson") as curs:
            curs.itersize = batch
            curs.execute(query)
            for row in curs:
                out.write(json.dumps(_line(app, row, masker), ensure_ascii=False) + "\n")
                count += 1
    return count


def _line(app: RectifyApp, row: DictRow, masker: Masker) -> dict[str, Any]:
    stored = StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )
    domain_event: Any = app.mapper.to_domain_event(stored)
    stream = str(row["originator_id"])
    remember_reporter(app, masker, stream, getattr(domain_event, "sealed_identity", None))
    return {
        "position": row["notification_id"],
        "stream": stream,
        "version": row["originator_version"],
        "topic": row["topic"],
        "timestamp": china_time(plain(domain_event.timestamp)),
        "hash": bytes(row["hash"]).hex() if row["hash"] is not None else None,
        "payload": masker.payload(stream, row["topic"], event_payload(domain_event)),
    }
