"""Case files (案卷) of one item, for external auditors: read by `rectify audit export` and
served to auditors over HTTP (api/case_files.py).

A case file is for people: agencies by name, fields by their Chinese labels, times in China
time with their offset (domain.trail_labels), and every event with what the hash chain
says of it.

Personal data is masked (domain.personal_data): the reporter's sealed identity never
leaves as ciphertext or plaintext, only as 受保护 / protected, and the names, phone and ID
numbers and addresses of persons (the person a clue reports on, a suspect, the person a
discipline transfer names) are 已屏蔽 / masked, in free text too; institutions and the
staff who acted are kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from domain.application import RectifyApp
from domain.audit_trail import TrailEntry
from domain.clocks import TIMEZONE
from domain.evidence import stored_digests
from domain.personal_data import Masker
from domain.reporter_identity import KeyConfigurationError, unseal
from domain.trail_labels import agency_names, label, shown
from projections.files import StoredFile, describe_all

AgencyName = Callable[[str], str | None]


def _human(value: Any, field: str, agency_name: AgencyName) -> Any:
    return shown(field, value, agency_name)


def _entry(
    entry: TrailEntry, masker: Masker, item: str, aggregate: str, agency_name: AgencyName
) -> dict[str, Any]:
    payload = masker.payload(item, entry.topic, entry.payload)  # remembers names first
    return {
        "version": entry.version,
        "at": entry.at.astimezone(TIMEZONE).isoformat(),
        "actor": entry.actor,
        "event": entry.event_type,
        "topic": entry.topic,
        "integrity": entry.integrity.value if entry.integrity else None,
        "integrity_warning": entry.integrity_warning,
        "changes": [
            {
                "field": c.field,
                "label": label(c.field),
                "before": _human(
                    masker.value(item, aggregate, c.field, c.before), c.field, agency_name
                ),
                "after": _human(
                    masker.value(item, aggregate, c.field, c.after), c.field, agency_name
                ),
            }
            for c in entry.changes
        ],
        "payload": {k: _human(v, k, agency_name) for k, v in payload.items()},
    }


def remember_reporter(app: RectifyApp, masker: Masker, item: str, sealed: Any) -> None:
    """The reporter's identity is withheld from a clue's text at intake, but staff may quote
    the name in a later reply or outcome: opened here with the identity keys, only to mask
    it. Without the keys (an export host that holds none) nothing is opened."""
    if not isinstance(sealed, dict):
        return
    try:
        identity = unseal(sealed, app.identity_keys(), UUID(item))
    except (KeyConfigurationError, ValueError):
        return
    masker.remember_person(
        item, identity.name, identity.phone, identity.id_number, identity.address
    )


def case_file(app: RectifyApp, item_id: UUID) -> dict[str, Any]:
    """The item's current state and its full trail, personal data masked, agencies by
    name, times in China time, each event with what the hash chain says of it; NotFound
    for an unknown id."""
    trail = app.audit_trail(item_id)
    state = app.state_integrity(item_id, app.state_as_of(item_id))
    masker, item, aggregate = Masker(), str(item_id), str(state["type"])
    if aggregate == "Clue":
        remember_reporter(app, masker, item, app.get_clue(item_id).sealed_identity)
    agency_name = agency_names(app.repository)
    entries = [_entry(e, masker, item, aggregate, agency_name) for e in trail]
    masked = masker.state(item, aggregate, state)
    return {
        "item_id": item,
        "type": state["type"],
        "exported_at": datetime.now(TIMEZONE).isoformat(),
        "state": {k: _human(v, k, agency_name) for k, v in masked.items()},
        "labels": {k: label(k) for k in masked},
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
    if not digests or not isinstance(recorder, PostgresApplicationRecorder):
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


def _payload(payload: dict[str, Any]) -> str:
    """An event's fields one per line, each under its Chinese label."""
    lines = [
        f"{escape(label(k))}：{_value(v)}" for k, v in payload.items() if v not in (None, "", [])
    ]
    return "<br>".join(lines) or "—"


_STYLE = """
body { font-family: "Noto Serif CJK SC", "SimSun", serif; margin: 2em; color: #000; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
th, td { border: 1px solid #444; padding: 4px 6px; vertical-align: top; text-align: left;
  font-size: 0.9em; word-break: break-all; }
th { background: #eee; }
.event { page-break-inside: avoid; }
.warning { color: #b00; font-weight: bold; }
@media print { body { margin: 1cm; } }
"""


def case_file_html(case: dict[str, Any]) -> str:
    """Printable and self-contained: no script, no external stylesheet or font."""
    labels = case.get("labels", {})
    state_rows = "".join(
        f"<tr><th>{escape(labels.get(k, str(k)))}</th><td>{_value(v)}</td></tr>"
        for k, v in case["state"].items()
    )
    events = []
    for entry in case["trail"]:
        changes = "".join(
            f"<tr><td>{escape(c.get('label') or c['field'])}</td><td>{_value(c['before'])}</td>"
            f"<td>{_value(c['after'])}</td></tr>"
            for c in entry["changes"]
        )
        events.append(
            f'<div class="event"><h3>版本 {entry["version"]}：{escape(entry["event"])}</h3>'
            "<table>"
            f"<tr><th>时间</th><td>{escape(entry['at'])}</td></tr>"
            f"<tr><th>操作人</th><td>{escape(entry['actor'] or '—')}</td></tr>"
            f"<tr><th>事件类型</th><td>{escape(entry['topic'])}</td></tr>"
            f"<tr><th>事件内容</th><td>{_payload(entry['payload'])}</td></tr>"
            + (
                f'<tr><th>完整性</th><td class="warning">{escape(entry["integrity_warning"])}'
                "</td></tr>"
                if entry.get("integrity_warning")
                else ""
            )
            + "</table>"
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
