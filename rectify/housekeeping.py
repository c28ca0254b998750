"""Pruning what the API leaves behind (ADR 0050): the 登录日志 past its retention
(RECTIFY_SIGN_IN_LOG_DAYS), web sessions past their idle or absolute limit, OIDC sign-ins
never come back from, and rate-limit counters of keys not seen for two windows.

Hosted by `rectify projections`, the process that already does periodic work (audit
checkpoints), in a thread of its own: once at start and every PRUNE_MINUTES after. Each
statement deletes by age only, so a round is idempotent, and rows are taken with SKIP
LOCKED in bounded batches, so several processes pruning at once share the work instead of
queueing behind one another, and no round holds a long transaction.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import structlog

from api.oidc_sign_in import WAIT as OIDC_WAIT
from api.rate_limits import WINDOW_SECONDS
from api.sessions import Limits
from projections.runner import connect, ensure_schema

PRUNE_MINUTES = 10.0
BATCH = 5000
log = structlog.get_logger()

SIGN_IN_LOG = (
    "DELETE FROM sign_in_log WHERE id IN (SELECT id FROM sign_in_log WHERE at < %s"
    " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)"
)
WEB_SESSIONS = (
    "DELETE FROM web_sessions WHERE token_sha256 IN (SELECT token_sha256 FROM web_sessions"
    " WHERE last_seen_at <= %s OR created_at <= %s LIMIT %s FOR UPDATE SKIP LOCKED)"
)
OIDC_SIGN_INS = (
    "DELETE FROM oidc_sign_ins WHERE state_sha256 IN (SELECT state_sha256 FROM oidc_sign_ins"
    " WHERE created_at <= %s LIMIT %s FOR UPDATE SKIP LOCKED)"
)
# counters use the database's clock (api/rate_limits.py); two windows of margin keep a
# key still counting safe from a host whose clock runs ahead
RATE_LIMITS = (
    "DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE bucket <"
    " extract(epoch FROM statement_timestamp()) - %s LIMIT %s FOR UPDATE SKIP LOCKED)"
)


@dataclass(frozen=True)
class Retention:
    sign_in_log: timedelta | None  # None: kept for ever
    sessions: Limits


def _batched(conn: psycopg.Connection[Any], statement: str, *args: object) -> int:
    removed = 0
    while True:
        with conn.transaction():
            count = conn.execute(statement, (*args, BATCH)).rowcount
        removed += count
        if count < BATCH:
            return removed


def prune(conn: psycopg.Connection[Any], now: datetime, retention: Retention) -> dict[str, int]:
    """One round on an autocommit connection: how many rows of each table went."""
    removed = {
        "web_sessions": _batched(
            conn,
            WEB_SESSIONS,
            now - retention.sessions.idle,
            now - retention.sessions.absolute,
        ),
        "oidc_sign_ins": _batched(conn, OIDC_SIGN_INS, now - OIDC_WAIT),
        "rate_limits": _batched(conn, RATE_LIMITS, 2 * WINDOW_SECONDS),
    }
    if retention.sign_in_log is not None:
        removed["sign_in_log"] = _batched(conn, SIGN_IN_LOG, now - retention.sign_in_log)
    return removed


def _prune_periodically(
    database_url: str,
    schema: str,
    retention: Retention,
    stop: threading.Event,
    minutes: float,
    now: Callable[[], datetime],
) -> None:
    made = False
    while not stop.is_set():
        try:
            with contextlib.closing(connect(database_url, schema)) as conn:
                if not made:
                    # The runner hosting this thread may not have made the tables yet: its
                    # first round would otherwise fail and wait PRUNE_MINUTES.
                    ensure_schema(conn, schema)
                    made = True
                removed = prune(conn, now(), retention)
            if any(removed.values()):
                log.info("pruned", **removed)
        except psycopg.Error as error:  # an outage: the next round tries again
            log.warning("pruning failed; retrying next round", error=str(error))
        stop.wait(minutes * 60)


@contextlib.contextmanager
def housekeeping(
    database_url: str,
    schema: str,
    retention: Retention,
    minutes: float = PRUNE_MINUTES,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[None]:
    """Prune in a thread while the body runs."""
    stop = threading.Event()
    pruner = threading.Thread(
        target=_prune_periodically,
        args=(database_url, schema, retention, stop, minutes, now),
        name="housekeeping",
        daemon=True,
    )
    pruner.start()
    try:
        yield
    finally:
        stop.set()
        pruner.join()
