"""Pruning the API's leftovers (rectify/housekeeping.py, ADR 0050): the 登录日志 past its
retention, expired web sessions, abandoned OIDC sign-ins and idle rate-limit counters."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from api.sessions import Limits
from projections.runner import connect, ensure_schema
from rectify.housekeeping import Retention, housekeeping, prune

NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
KEEP = Retention(timedelta(days=184), Limits(timedelta(minutes=30), timedelta(hours=12)))


@pytest.fixture
def conn(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    connection = connect(database_url, schema)
    ensure_schema(connection, schema)
    yield connection
    connection.close()


def _log(conn: psycopg.Connection[Any], *ages: timedelta) -> None:
    for age in ages:
        conn.execute(
            "INSERT INTO sign_in_log (at, username, outcome, address) VALUES (%s, %s, %s, %s)",
            (NOW - age, f"user-{age.days}", "signed_in", "203.0.113.7"),
        )


def _session(conn: psycopg.Connection[Any], name: str, created: datetime, seen: datetime) -> None:
    conn.execute(
        "INSERT INTO web_sessions (token_sha256, username, display_name, role, csrf_token,"
        " created_at, last_seen_at) VALUES (%s, %s, %s, 'auditor', 'x', %s, %s)",
        (name, name, name, created, seen),
    )


def _column(conn: psycopg.Connection[Any], query: str) -> list[Any]:
    return sorted(row[0] for row in conn.execute(query).fetchall())


def test_sign_ins_older_than_the_retention_are_pruned_and_younger_ones_kept(
    conn: psycopg.Connection[Any],
) -> None:
    _log(conn, timedelta(days=400), timedelta(days=185), timedelta(days=183), timedelta(0))
    removed = prune(conn, NOW, KEEP)
    assert removed["sign_in_log"] == 2
    assert _column(conn, "SELECT username FROM sign_in_log") == ["user-0", "user-183"]


def test_a_second_round_prunes_nothing_more(conn: psycopg.Connection[Any]) -> None:
    _log(conn, timedelta(days=400), timedelta(days=10))
    prune(conn, NOW, KEEP)
    assert prune(conn, NOW, KEEP) == {
        "web_sessions": 0,
        "oidc_sign_ins": 0,
        "rate_limits": 0,
        "sign_in_log": 0,
    }
    assert _column(conn, "SELECT username FROM sign_in_log") == ["user-10"]


def test_without_a_retention_the_sign_in_log_is_kept_for_ever(
    conn: psycopg.Connection[Any],
) -> None:
    _log(conn, timedelta(days=4000))
    removed = prune(conn, NOW, Retention(None, KEEP.sessions))
    assert "sign_in_log" not in removed
    assert _column(conn, "SELECT username FROM sign_in_log") == ["user-4000"]


def test_sessions_idle_or_past_their_absolute_limit_are_pruned(
    conn: psycopg.Connection[Any],
) -> None:
    _session(conn, "live", NOW - timedelta(hours=2), NOW - timedelta(minutes=5))
    _session(conn, "idle", NOW - timedelta(hours=2), NOW - timedelta(minutes=31))
    _session(conn, "too-old", NOW - timedelta(hours=13), NOW - timedelta(minutes=1))
    assert prune(conn, NOW, KEEP)["web_sessions"] == 2
    assert _column(conn, "SELECT username FROM web_sessions") == ["live"]


def test_abandoned_oidc_sign_ins_and_idle_rate_counters_are_pruned(
    conn: psycopg.Connection[Any],
) -> None:
    conn.execute(
        "INSERT INTO oidc_sign_ins (state_sha256, code_verifier, nonce, created_at)"
        " VALUES ('gone', 'v', 'n', %s), ('waiting', 'v', 'n', %s)",
        (NOW - timedelta(minutes=11), NOW - timedelta(minutes=2)),
    )
    conn.execute(
        "INSERT INTO rate_limits (key, bucket, counts, admitted) VALUES"
        " ('sign-ins:old', extract(epoch FROM now())::bigint - 3600, '{1}', true),"
        " ('sign-ins:now', extract(epoch FROM now())::bigint, '{1}', true)"
    )
    removed = prune(conn, NOW, KEEP)
    assert (removed["oidc_sign_ins"], removed["rate_limits"]) == (1, 1)
    assert _column(conn, "SELECT state_sha256 FROM oidc_sign_ins") == ["waiting"]
    assert _column(conn, "SELECT key FROM rate_limits") == ["sign-ins:now"]


def test_two_processes_pruning_at_once_remove_each_row_once(
    conn: psycopg.Connection[Any], database_url: str, schema: str
) -> None:
    conn.execute(
        "INSERT INTO sign_in_log (at, username, outcome)"
        " SELECT %s, 'old', 'wrong_password' FROM generate_series(1, 12000)",
        (NOW - timedelta(days=400),),
    )
    counts: list[int] = []

    def one_process() -> None:
        with connect(database_url, schema) as other:
            counts.append(prune(other, NOW, KEEP)["sign_in_log"])

    threads = [threading.Thread(target=one_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 12000
    assert _column(conn, "SELECT count(*) FROM sign_in_log") == [0]


def test_the_housekeeping_thread_prunes_as_it_starts(
    conn: psycopg.Connection[Any], database_url: str, schema: str
) -> None:
    _log(conn, timedelta(days=400), timedelta(days=1))
    with housekeeping(database_url, schema, KEEP, now=lambda: NOW):
        for _ in range(200):
            if len(_column(conn, "SELECT username FROM sign_in_log")) == 1:
                break
            threading.Event().wait(0.05)
    assert _column(conn, "SELECT username FROM sign_in_log") == ["user-1"]


def test_the_housekeeping_thread_makes_the_tables_it_prunes_if_they_are_not_there_yet(
    database_url: str, schema: str
) -> None:
    made = "SELECT to_regclass('web_sessions') IS NOT NULL"
    with (
        housekeeping(database_url, schema, KEEP, now=lambda: NOW),
        closing(connect(database_url, schema)) as conn,
    ):
        for _ in range(200):
            if _column(conn, made) == [True]:
                break
            threading.Event().wait(0.05)
        assert _column(conn, made) == [True]
