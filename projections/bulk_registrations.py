"""A rebuild's issue registrations projected by the database, in a few statements (ADR 0075).

Most of a ledger's log is registrations (`RectificationIssue.Registered`): an imported
ledger is one per row. Folded in Python each cost about 100 µs (decoding, eight read rows,
their COPY); here the server decodes them all from the log's JSON and inserts their rows
with one statement per table, before the rest of the log is replayed in Python.

Why the order may change: a registration is its issue's first event, and the rows it
makes (the issue, its responsibilities, history line, statistics item and audiences) are
keyed by that issue alone, so registering every issue first and then replaying every other
event in log order ends with the same rows. No model reads these rows of another issue
while folding (the dashboard's counters, which count issues, are filled after the replay).

Only a rebuild does this: its tables are fresh and no reader sees them before the swap.
Every registration must have exactly the shape this module knows — the fields of
`Registered` and nothing else, the JSON transcoder's types, a deadline kind of ours —
or none is projected here and the replay folds them all in Python as before (an
upcast or a poisoned event is the Python path's business). A failure of any statement
(a NUL character, a missing value) likewise rolls back to a savepoint and leaves the
registrations to the replay.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import Cursor, sql

from domain.deadlines import DeadlineKind
from domain.issues import IssueStatus
from domain.issues import RectificationIssue as Issue
from projections import parked, staging

log = logging.getLogger(__name__)

TOPIC = Issue.Registered.TOPIC

# The stored state's keys: the event's fields less the two kept in columns of the log
# (originator id and version). tests/unit/test_bulk_registrations.py holds this to the class.
FIELDS = (
    "timestamp", "originator_topic", "campaign_id", "number", "problem", "measures",
    "lead_agency_id", "co_agency_ids", "deadline", "source", "actor",
)  # fmt: skip

# Every registration decoded once into typed columns, with whether it has the known shape
# (no other key; no subquery either, so that parallel workers may decode: a subquery's
# value is worked out by the leader from the whole JSON sent over to it).
_DECODE = """
CREATE TEMP TABLE bulk_registered ON COMMIT DROP AS
SELECT e.originator_id AS id, e.notification_id AS position,
    (r."timestamp" ->> '_data_')::timestamptz AS at,
    (r.campaign_id ->> '_data_')::uuid AS campaign_id,
    r.number #>> '{{}}' AS number, r.problem #>> '{{}}' AS problem, r.measures,
    (r.lead_agency_id ->> '_data_')::uuid AS lead,
    -- the ids' hex, a JSON array of strings, made an array literal of uuid
    translate(h.co::text, '[]"', '{{}}')::uuid[] AS co,
    r.deadline -> '_data_' ->> 'kind' AS kind,
    (r.deadline -> '_data_' -> 'due_date' ->> '_data_')::date AS due,
    r.deadline -> '_data_' ->> 'text' AS text,
    r.actor #>> '{{}}' AS actor,
    ((p.j - %(fields)s::text[]) = '{{}}'::jsonb
     AND r."timestamp" ->> '_type_' = 'datetime_iso'
     AND r.campaign_id ->> '_type_' = 'uuid_hex' AND r.lead_agency_id ->> '_type_' = 'uuid_hex'
     AND jsonb_typeof(r.co_agency_ids) = 'array' AND jsonb_typeof(r.measures) = 'array'
     AND jsonb_array_length(h.co) = jsonb_array_length(r.co_agency_ids)
     AND jsonb_typeof(r.number) = 'string' AND jsonb_typeof(r.problem) = 'string'
     AND jsonb_typeof(r.actor) = 'string' AND jsonb_typeof(r.source) = 'string'
     AND jsonb_typeof(r.originator_topic) = 'string'
     AND r.deadline ->> '_type_' = 'deadline'
     AND r.deadline -> '_data_' ->> 'kind' = ANY(%(kinds)s)
     AND jsonb_typeof(r.deadline -> '_data_' -> 'text') = 'string'
     AND (jsonb_typeof(r.deadline -> '_data_' -> 'due_date') = 'null'
          OR r.deadline -> '_data_' -> 'due_date' ->> '_type_' = 'date_iso')
    ) IS TRUE AS conforms
FROM {events} e
-- parsed once per event: a subquery's value would be parsed again at each use
CROSS JOIN LATERAL jsonb_extract_path(
    convert_from(e.state, 'UTF8')::jsonb, VARIADIC '{{}}'::text[]) AS p(j)
CROSS JOIN LATERAL jsonb_to_record(p.j) AS r({columns})
CROSS JOIN LATERAL jsonb_path_query_array(
    r.co_agency_ids, '$[*] ? (@._type_ == "uuid_hex")._data_') AS h(co)
WHERE e.topic = %(topic)s AND e.notification_id <= %(upto)s
"""

_ISSUES = """
INSERT INTO issues (id, campaign_id, number, problem, measures, status, lead_agency_id,
    deadline_kind, due_date, deadline_text, cycle, registered_at, updated_at,
    registered_position, last_position)
SELECT id, campaign_id, number, problem, measures, %(open)s, lead, kind, due, text, 1,
    at, at, position, position
FROM bulk_registered
"""

# The lead (ordinal 0) then the co-responsible as listed; an agency listed twice keeps its
# first place, as the fold's first-row-wins did.
# As listed, when no agency is listed twice (the domain refuses that now): no sort; the
# primary key added afterwards finds any pair listed twice, and then the statement below.
_RESPONSIBILITIES_AS_LISTED = """
INSERT INTO issue_responsibilities (issue_id, agency_id, role, ordinal)
SELECT b.id, u.agency, CASE WHEN u.n = 1 THEN 'LEAD' ELSE 'CO' END, u.n - 1
FROM bulk_registered b, unnest(ARRAY[b.lead] || b.co) WITH ORDINALITY AS u(agency, n)
"""
_RESPONSIBILITIES = """
INSERT INTO issue_responsibilities (issue_id, agency_id, role, ordinal)
SELECT DISTINCT ON (b.id, u.agency) b.id, u.agency,
    CASE WHEN u.n = 1 THEN 'LEAD' ELSE 'CO' END, u.n - 1
FROM bulk_registered b, unnest(ARRAY[b.lead] || b.co) WITH ORDINALITY AS u(agency, n)
ORDER BY b.id, u.agency, u.n
"""

# summaries.summarise of a registration
_HISTORY = """
INSERT INTO issue_history (issue_id, version, at, type, actor, summary, position)
SELECT id, 1, at, 'Registered', actor, '登记问题 ' || number, position FROM bulk_registered
"""

_STATISTICS = """
INSERT INTO stat_items (item_id, kind, campaign_id, agency_id, label, opened_at, due_date)
SELECT id, 'issue', campaign_id, lead, number || ' ' || problem, at, due FROM bulk_registered
"""

# From the responsibilities just written when the ledger is rebuilt too (the same pairs,
# distinct already); else from the registrations themselves.
_AUDIENCES = """
INSERT INTO item_audiences (item_id, agency_id)
SELECT DISTINCT b.id, u.agency FROM bulk_registered b, unnest(ARRAY[b.lead] || b.co) AS u(agency)
"""
_AUDIENCES_OF_RESPONSIBILITIES = """
INSERT INTO item_audiences (item_id, agency_id)
SELECT issue_id, agency_id FROM issue_responsibilities
"""

# What each model makes of a registration, by registry name (projections/registry.py):
# (table, statement) in order.
STATEMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "ledger": (
        ("issues", _ISSUES),
        ("issue_responsibilities", _RESPONSIBILITIES),
        ("issue_history", _HISTORY),
    ),
    "statistics": (("stat_items", _STATISTICS),),
    "audience": (("item_audiences", _AUDIENCES),),
}


def project(
    cur: Cursor[Any],
    events_table: str,
    upto: int,
    models: Sequence[str],
    unpark: str | None = None,
) -> int | None:
    """Project every registration up to `upto` for the `models` (registry names, each in
    STATEMENTS) into the tables on the search path and forget any of them parked for the
    follower `unpark`; returns how many, or None — nothing written — when one does not
    have the known shape or a statement fails."""
    if not models:
        return None
    columns = sql.SQL(", ").join(
        sql.SQL("{} jsonb").format(sql.Identifier(field)) for field in FIELDS
    )
    decode = sql.SQL(_DECODE).format(events=sql.Identifier(events_table), columns=columns)
    kinds = [kind.value for kind in DeadlineKind]
    try:
        with cur.connection.transaction():
            # the sorts of every registration's agencies in memory, not in files
            cur.execute("SET LOCAL work_mem = '256MB'")
            cur.execute(
                decode, {"topic": TOPIC, "upto": upto, "kinds": kinds, "fields": list(FIELDS)}
            )
            row = cur.execute(
                "SELECT count(*), count(*) FILTER (WHERE NOT conforms) FROM bulk_registered"
            ).fetchone()
            projected, unknown = row if row is not None else (0, 0)
            if unknown:
                raise _Unknown(f"{unknown} registrations of a shape not known here")
            for model in models:
                for table, statement in STATEMENTS[model]:
                    _write(cur, table, statement, models)
            if unpark is not None:  # applied cleanly now, as a replay's would be
                cur.execute(
                    sql.SQL(
                        "DELETE FROM {} WHERE follower = %s"
                        " AND position IN (SELECT position FROM bulk_registered)"
                    ).format(sql.Identifier(parked.TABLE)),
                    (unpark,),
                )
            cur.execute("DROP TABLE bulk_registered")
            return int(projected)
    except (_Unknown, psycopg.DataError, psycopg.IntegrityError) as error:
        log.warning("rebuild: registrations left to the replay: %s", error)
        return None


def _write(cur: Cursor[Any], table: str, statement: str, models: Sequence[str]) -> None:
    """One table's rows of every registration, into the fresh table (staging.fill)."""
    if table == "issue_responsibilities":
        _responsibilities(cur)
        return
    if table == "item_audiences" and "ledger" in models:
        statement = _AUDIENCES_OF_RESPONSIBILITIES
    staging.fill(cur, table, statement, {"open": IssueStatus.OPEN.value})


def _responsibilities(cur: Cursor[Any]) -> None:
    """Every registration's responsibilities as listed, or, if an agency is listed twice
    for one issue (older events), each agency in its first place."""
    try:
        with cur.connection.transaction():
            staging.fill(cur, "issue_responsibilities", _RESPONSIBILITIES_AS_LISTED)
    except psycopg.errors.UniqueViolation:
        staging.fill(cur, "issue_responsibilities", _RESPONSIBILITIES)


class _Unknown(Exception):
    """A registration this module does not know how to project."""
