"""The work queue's page at 20,000 items (issue 14: under 300 ms server time), the query
alone without HTTP or a baseline: `python -m bench.work_queue` (DATABASE_URL must be set).
`make bench` measures the page over GraphQL against its baseline (bench/reads.py).

Read rows are written straight into the read tables of a fresh schema (issues, referrals,
clues spread over 40 agencies; the events behind them do not matter to a read), then the
page query of projections.work_queue_queries and the working-day count of its rows are
timed for a liaison and a coordinator, first page and the next, in both orders. The GraphQL
layer adds about 1.5 ms on top (docs: design.md, "GraphQL and HTTP").
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import psycopg

from api.auth import Role, User
from api.authz.work_queue import work_scope
from api.work_queue import working_days_left
from infrastructure.calendar_data import build_calendar
from projections import work_queue_queries as q

ITEMS = int(os.environ.get("BENCH_QUEUE_ITEMS", "20000"))
AGENCIES = 40
RUNS = 5

_ISSUES = """
INSERT INTO issues (id, campaign_id, number, problem, measures, status, lead_agency_id,
    deadline_kind, due_date, deadline_text, registered_at, updated_at, registered_position,
    last_position)
SELECT gen_random_uuid(), $1, n::text, '问题' || n, '[]',
    (ARRAY['OPEN', 'OPEN', 'SUBMITTED', 'CLOSED'])[1 + n % 4], ($2::uuid[])[1 + n % $3],
    'DATE', DATE '2026-01-01' + n % 700, '', now(), now(), n, n
FROM generate_series(1, $4) n"""
_REFERRALS = """
INSERT INTO referrals (id, is_group, campaign_id, sender_agency_id, receiver_agency_id,
    receiver_name, assigned_ids, status, reason, subject_kind, attachments, round, due_at,
    sent_at, updated_at, sent_position, last_position)
SELECT gen_random_uuid(), false, $1, ($2::uuid[])[1 + (n + 1) % $3], ($2::uuid[])[1 + n % $3],
    '', '{}', (ARRAY['SENT', 'CLAIMED', 'ANSWERED', 'ACCEPTED', 'RETURNED'])[1 + n % 5],
    '事由' || n, '', '[]', 1, now() + (n % 300 - 150) * interval '1 day', now(), now(), n, n
FROM generate_series(1, $4) n"""
_CLUES = """
INSERT INTO clues (id, agency_id, handling_agency_id, campaign_id, channel, institution,
    person, content, attachments, anonymous, real_name, status, reply_due, received_at,
    updated_at, received_position, last_position)
SELECT gen_random_uuid(), ($2::uuid[])[1 + n % $3], ($2::uuid[])[1 + n % $3], $1, 'LETTER',
    '机构' || n, '', '内容' || n, '[]', false, n % 2 = 0,
    (ARRAY['RECEIVED', 'HANDLING', 'CONCLUDED'])[1 + n % 3],
    now() + (n % 100) * interval '1 day', now(), now(), n, n
FROM generate_series(1, $4) n"""


async def _fill(conn: asyncpg.Connection) -> list[uuid.UUID]:
    for ddl in sorted(Path(q.__file__).parent.glob("*.sql")):
        await conn.execute(ddl.read_text("utf-8"))
    agencies = [uuid.uuid4() for _ in range(AGENCIES)]
    await conn.executemany(
        "INSERT INTO agencies (id, name, kind) VALUES ($1, $2, 'ADMINISTRATIVE')",
        [(a, f"县第{n}局") for n, a in enumerate(agencies)],
    )
    campaign = uuid.uuid4()
    await conn.execute(
        "INSERT INTO campaigns (id, title, registered_at) VALUES ($1, '基准', now())", campaign
    )
    half, rest = ITEMS // 2, ITEMS - ITEMS // 2
    for sql, count in ((_ISSUES, half), (_REFERRALS, rest * 3 // 5), (_CLUES, rest * 2 // 5)):
        await conn.execute(sql, campaign, agencies, AGENCIES, count)
    await conn.execute(
        "INSERT INTO issue_responsibilities SELECT id, lead_agency_id, 'LEAD', 0 FROM issues"
    )
    await conn.execute("ANALYZE")
    return agencies


async def _page_ms(
    conn: asyncpg.Connection, scope: q.WorkScope, order: str, after: Sequence[Any] | None
) -> float:
    calendar, today = build_calendar(), date.today()
    started = time.perf_counter()
    page = await q.work_page(conn, scope, q.WorkFilter(), "Asia/Shanghai", 20, after, order)
    for row in page.rows:
        working_days_left(calendar, row["due"], today)
    return (time.perf_counter() - started) * 1000


async def _run(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        agencies = await _fill(conn)
        callers = [("liaison", User("bench", Role.LIAISON, str(agencies[3]))),
                   ("coordinator", User("bench", Role.COORDINATOR))]  # fmt: skip
        for name, user in callers:
            scope = work_scope(user)
            for order in q.WORK_ORDERS:
                keyset = q.WORK_ORDERS[order]
                first = await q.work_page(
                    conn, scope, q.WorkFilter(), "Asia/Shanghai", 20, None, order
                )
                after = keyset.parse(keyset.values_of(first.rows[-1]))
                firsts = [await _page_ms(conn, scope, order, None) for _ in range(RUNS)]
                nexts = [await _page_ms(conn, scope, order, after) for _ in range(RUNS)]
                print(
                    f"work queue {name:<11} {order:<8} {first.total:>6} rows in scope"
                    f"  first page {statistics.median(firsts):6.1f} ms"
                    f"  next {statistics.median(nexts):6.1f} ms (median of {RUNS})"
                )
    finally:
        await conn.close()


def run(url: str) -> None:
    schema = "bench_queue_" + uuid.uuid4().hex[:8]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        print(f"work queue at {ITEMS} items (issues, referrals, clues; {AGENCIES} agencies)")
        asyncio.run(_run(url, schema))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    run(os.environ["DATABASE_URL"])
