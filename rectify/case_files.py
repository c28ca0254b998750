"""Case files (案卷) of one item and the whole log as NDJSON, for external auditors.

Personal data is masked (domain.personal_data): the reporter's sealed identity never
leaves as ciphertext or plaintext, only as 受保护 / protected, and the names, phone and ID
numbers and addresses of persons (the person a clue reports on, a suspect, the person a
discipline transfer names) are 已屏蔽 / masked, in free text too; institutions and the
staff who acted are kept. The log is read through a server-side cursor in batches, so
memory does not grow with the log (only the masked names seen, per item).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from typing import Any, TextIO
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.application import RectifyApp
from domain.audit_trail import TrailEntry, event_payload, plain
from domain.evidence import stored_digests
from domain.personal_data import Masker
from projections.files import StoredFile, describe_all
from rectify.event_store import ChunkedApplicationRecorder

BATCH = 1000


def _entry(entry: TrailEntry, masker: Masker, item: str, aggregate: str) -> dict[str, Any]:
    payload = masker.payload(item, entry.topic, entry.payload)  # remembers names first
    return {
        "version": entry.version,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "event": entry.event_type,
        "topic": entry.topic,
        "changes": [
            {
                "field": c.field,
                "before": masker.value(item, aggregate, c.field, c.before),
                "after": masker.value(item, aggregate, c.field, c.after),
            }
            for c in entry.changes
        ],
        "payload": payload,
    }


def case_file(app: RectifyApp, item_id: UUID) -> dict[str, Any]:
    """The item's current state and its full trail, personal data masked; NotFound for an
    unknown id."""
    trail = app.audit_trail(item_id)
    state = app.state_as_of(item_id)
    masker, item, aggregate = Masker(), str(item_id), str(state["type"])
    entries = [_entry(e, masker, item, aggregate) for e in trail]
    return {
        "item_id": item,
        "type": state["type"],
        "exported_at": datetime.now(UTC).isoformat(),
        "state": masker.state(item, aggregate, state),
        "trail": entries,
        "files": _files(app, trail, masker, item, aggregate),
    }


def _files(
    app: RectifyApp, trail: list[TrailEntry], masker: Masker, item: str, aggregate: str
) -> list[dict[str, Any]]:
    """The evidence files the item's events reference (佐证材料), in the order first named:
    name (its personal data masked like any attachment), type, size, sha256, and whether
    the store still holds the very content the events' digests name."""
    digests = stored_digests(
        a for e in trail for a in e.payload.get("attachments") or [] if isinstance(a, str)
    )
    stored = _stored(app, digests)
    listed = []
    for digest in digests:
        found = stored.get(digest)
        name = found.file_name if found else None
        listed.append(
            {
                "sha256": digest,
                "name": masker.value(item, aggregate, "attachments", name) if name else None,
                "type": found.media_type if found else None,
                "size": found.size if found else None,
                "status": "intact" if found and found.intact else "altered" if found else "missing",
            }
        )
    return listed


def _stored(app: RectifyApp, digests: list[str]) -> dict[str, StoredFile]:
    recorder = app.recorder
    if not digests or not isinstance(recorder, ChunkedApplicationRecorder):
        return {}
    schema = Identifier(recorder.datastore.schema)
    with recorder.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute(SQL("SET LOCAL search_path TO {}").format(schema))
        return describe_all(cur, digests)


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return escape(value)
    return escape(json.dumps(value, ensure_ascii=False))


_STYLE = """
body { font-family: "Noto Serif CJK SC", "SimSun", serif; margin: 2em; color: #000; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
th, td { border: 1px solid #444; padding: 4px 6px; vertical-align: top; text-align: left;
  font-size: 0.9em; word-break: break-all; }
th { background: #eee; }
.event { page-break-inside: avoid; }
@media print { body { margin: 1cm; } }
"""


def case_file_html(case: dict[str, Any]) -> str:
    """Printable and self-contained: no script, no external stylesheet or font."""
    state_rows = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{_value(v)}</td></tr>" for k, v in case["state"].items()
    )
    events = []
    for entry in case["trail"]:
        changes = "".join(
            f"<tr><td>{escape(c['field'])}</td><td>{_value(c['before'])}</td>"
            f"<td>{_value(c['after'])}</td></tr>"
            for c in entry["changes"]
        )
        events.append(
            f'<div class="event"><h3>版本 {entry["version"]}：{escape(entry["event"])}</h3>'
            "<table>"
            f"<tr><th>时间</th><td>{escape(entry['at'])}</td></tr>"
            f"<tr><th>操作人</th><td>{escape(entry['actor'] or '—')}</td></tr>"
            f"<tr><th>事件类型</th><td>{escape(entry['topic'])}</td></tr>"
            f"<tr><th>事件内容</th><td>{_value(entry['payload'])}</td></tr>"
            "</table>"
            + (
                f"<table><tr><th>变更字段</th><th>变更前</th><th>变更后</th></tr>{changes}</table>"
                if changes
                else ""
            )
            + "</div>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>案卷 {escape(case['item_id'])}</title><style>{_STYLE}</style></head><body>"
        f"<h1>案卷 / Case file：{escape(case['type'])}</h1>"
        "<table>"
        f"<tr><th>编号</th><td>{escape(case['item_id'])}</td></tr>"
        f"<tr><th>导出时间</th><td>{escape(case['exported_at'])}</td></tr>"
        f"<tr><th>事件数</th><td>{len(case['trail'])}</td></tr>"
        "</table>"
        f"<h2>当前状态</h2><table>{state_rows}</table>"
        f"<h2>佐证材料 / Evidence files</h2>{_files_table(case.get('files', []))}"
        f"<h2>全部经过</h2>{''.join(events)}"
        "<p>举报人身份等个人信息已屏蔽（受保护）。</p>"
        "</body></html>\n"
    )


FILE_STATUS = {
    "intact": "完好 / intact",
    "altered": "内容与摘要不符 / altered",
    "missing": "未存储 / not stored",
}


def _files_table(listed: list[dict[str, Any]]) -> str:
    if not listed:
        return "<p>无 / none</p>"
    rows = "".join(
        f"<tr><td>{_value(f['name'])}</td><td>{_value(f['type'])}</td><td>{_value(f['size'])}"
        f"</td><td>{escape(f['sha256'])}</td><td>{escape(FILE_STATUS[f['status']])}</td></tr>"
        for f in listed
    )
    return (
        "<table><tr><th>文件名</th><th>类型</th><th>大小（字节）</th><th>SHA-256</th>"
        f"<th>状态</th></tr>{rows}</table>"
    )


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
    return {
        "position": row["notification_id"],
        "stream": stream,
        "version": row["originator_version"],
        "topic": row["topic"],
        "timestamp": plain(domain_event.timestamp),
        "hash": bytes(row["hash"]).hex() if row["hash"] is not None else None,
        "payload": masker.payload(stream, row["topic"], event_payload(domain_event)),
    }
