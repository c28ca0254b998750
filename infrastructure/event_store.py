"""The application recorder we store events with.

Writers do not queue behind each other (docs/decisions/0051-parallel-writers.md). The
library takes `LOCK TABLE … IN EXCLUSIVE MODE` on every save so that commit order is
notification order; here a save instead registers itself, before it draws its first
notification id, with a shared transaction-level advisory lock keyed by the lowest id it
can draw, and a reader reads only up to the *decided* position: below every registered
key, and no further than the ids drawn before it looked. So no reader passes an id whose
transaction may still commit, and writers of different streams never wait for each other.

A save is one statement (events, their hash rows chained in SQL, the command key, the
notice to listeners) in its own implicit transaction; a save larger than a chunk runs the
same statement per chunk inside one explicit transaction, so a ledger import stays one
transaction however large the file without pipeline mode (over a Unix socket a pipelined
batch of thousands of events deadlocks psycopg, see psycopg issue #685).

It also makes the log tamper-evident (docs/decisions/0009-tamper-evidence.md): every
event gets a row in `<events table>_hashes` chaining it to the previous event of its
stream, written in the same transaction. Two writers of one stream both draw the same
(originator_id, originator_version): the second fails on the primary key before it
commits, so no chain forks.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
import zlib
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from eventsourcing.persistence import (
    InterfaceError,
    Notification,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Connection, Cursor
from psycopg.rows import DictRow, RowFactory, tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal

from domain.audit_trail import Integrity
from domain.errors import InvalidInput
from infrastructure import trace_context
from infrastructure.event_hashes import EVENT_TAG, GENESIS, chain_integrity, encode
from infrastructure.metrics import EVENTS_APPENDED, TRACER, tracing
from projections.parked import holds_nul

log = logging.getLogger(__name__)

CHUNK = 500
CHECKPOINTS_TABLE = "audit_checkpoints"
COMMAND_KEYS_TABLE = "command_keys"
HEADS_TABLE = "audit_checkpoint_heads"
# ids up to 2**40 per log; 2**22 logs: keys stay below 2**62
REGISTRATION_SPAN = 2**40


class ChunkedApplicationRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements = [
            _type_if_missing(statement, datastore.schema, self.stored_event_type_name)
            for statement in self.sql_create_statements
        ]
        self.hashes_table_name = f"{events_table_name}_hashes"
        self.check_identifier_length(self.hashes_table_name)
        self.checkpoints_table_name = CHECKPOINTS_TABLE
        self.heads_table_name = HEADS_TABLE
        names: dict[str, Composable] = {
            "schema": Identifier(datastore.schema),
            "events": Identifier(events_table_name),
            "hashes": Identifier(self.hashes_table_name),
            "hashes_position": Identifier(f"{self.hashes_table_name}_notification_id_idx"),
            "checkpoints": Identifier(CHECKPOINTS_TABLE),
            "heads": Identifier(HEADS_TABLE),
            "command_keys": Identifier(COMMAND_KEYS_TABLE),
            "id_type": Identifier(datastore.originator_id_type),
        }
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{hashes} ("
                "originator_id {id_type} NOT NULL, "
                "originator_version bigint NOT NULL, "
                "hash bytea NOT NULL, "
                "notification_id bigint NOT NULL, "
                "PRIMARY KEY (originator_id, originator_version))"
            ).format(**names),
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS {hashes_position} "
                "ON {schema}.{hashes} (notification_id)"
            ).format(**names),
            # one table for every log of the schema, told apart by the events table's name
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{checkpoints} ("
                "log text NOT NULL, "
                "seq bigint NOT NULL, "
                "position bigint NOT NULL, "
                "events bigint NOT NULL, "
                "taken_at timestamptz NOT NULL, "
                "log_digest bytea NOT NULL, "
                "digest bytea NOT NULL, "
                "PRIMARY KEY (log, seq))"
            ).format(**names),
            # docs/decisions/0025: a MAC keyed outside the database, and whether the
            # checkpoint was taken over a gap an operator acknowledged
            SQL(
                "ALTER TABLE {schema}.{checkpoints} ADD COLUMN IF NOT EXISTS mac bytea, "
                "ADD COLUMN IF NOT EXISTS acknowledged boolean NOT NULL DEFAULT false"
            ).format(**names),
            # docs/decisions/0064: the id of the MAC's key (NULL: RECTIFY_AUDIT_KEY), and
            # the key a checkpoint was verified under before `rectify audit rekey` moved it
            SQL(
                "ALTER TABLE {schema}.{checkpoints} ADD COLUMN IF NOT EXISTS key_id text, "
                "ADD COLUMN IF NOT EXISTS rekeyed_from text, "
                "ADD COLUMN IF NOT EXISTS rekeyed_at timestamptz"
            ).format(**names),
            # the newest version of each stream written since the checkpoint before: what
            # locates a stream whose tail was cut off or which was rewritten under a checkpoint
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{heads} ("
                "log text NOT NULL, "
                "seq bigint NOT NULL, "
                "originator_id {id_type} NOT NULL, "
                "originator_version bigint NOT NULL, "
                "notification_id bigint NOT NULL, "
                "hash bytea NOT NULL, "
                "PRIMARY KEY (log, seq, originator_id))"
            ).format(**names),
        ]
        self.sql_create_statements.append(
            # docs/decisions/0030: a command's key, written with its events, for retries
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{command_keys} ("
                "scope text PRIMARY KEY, "
                "fingerprint text NOT NULL, "
                "item_id {id_type} NOT NULL, "
                "position bigint NOT NULL, "
                "recorded_at timestamptz NOT NULL DEFAULT now())"
            ).format(**names)
        )
        self.select_command_key_statement = SQL(
            "SELECT item_id, position, fingerprint FROM {schema}.{command_keys} WHERE scope = %s"
        ).format(**names)
        self.select_stored_streams_statement = SQL(
            "SELECT originator_id FROM {schema}.{events} "
            "WHERE originator_id = ANY(%s) AND originator_version = 1"
        ).format(**names)
        self.select_stream_with_hashes_statement = SQL(
            "SELECT originator_version, e.topic, e.state, h.hash "
            "FROM (SELECT * FROM {schema}.{events} WHERE originator_id = %s) AS e "
            "FULL OUTER JOIN (SELECT * FROM {schema}.{hashes} WHERE originator_id = %s) AS h "
            "USING (originator_id, originator_version) ORDER BY originator_version"
        ).format(**names)
        # docs/decisions/0063: each event's trace, beside the log and outside its hashes
        self.sql_create_statements.append(
            trace_context.create_statement(datastore.schema, events_table_name)
        )
        self.record_trace_statement = trace_context.record_statement(
            datastore.schema, events_table_name
        )
        self.decided_function_name = f"{events_table_name}_decided"
        self.check_identifier_length(self.decided_function_name)
        names["decided"] = Identifier(self.decided_function_name)
        self._table_text = Identifier(datastore.schema, events_table_name).as_string()
        names["table"] = Literal(self._table_text)
        names["base"] = Literal(registration_base(datastore.schema, events_table_name))
        names["span"] = Literal(REGISTRATION_SPAN)
        self.sql_create_statements.append(
            # docs/decisions/0051: the highest id below which every id drawn is decided.
            # The ids drawn are read before the registrations, so a save that registers
            # after the scan draws ids above `drawn`; one registered before it is seen.
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{decided}() RETURNS bigint "
                "LANGUAGE plpgsql VOLATILE AS $body$ "
                "DECLARE drawn bigint; waiting bigint; "
                "BEGIN "
                "drawn := coalesce(pg_sequence_last_value("
                "pg_get_serial_sequence({table}, 'notification_id')::regclass), 0); "
                "SELECT min((l.classid::bigint << 32) | l.objid::bigint) INTO waiting "
                "FROM pg_locks AS l WHERE l.locktype = 'advisory' AND l.objsubid = 1 "
                "AND l.database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database()) "
                "AND ((l.classid::bigint << 32) | l.objid::bigint) "
                "BETWEEN {base} AND {base} + {span} - 1; "
                "RETURN least(drawn, waiting - {base} - 1); "
                "END $body$"
            ).format(**names)
        )
        self.read_function_name = f"{events_table_name}_after"
        self.check_identifier_length(self.read_function_name)
        names["read"] = Identifier(self.read_function_name)
        self.sql_create_statements.append(
            # the read takes its snapshot after the decided position is found: a VOLATILE
            # function's every query has a snapshot of its own under READ COMMITTED
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{read}"
                "(after bigint, upto bigint, topics text[], lim integer) "
                "RETURNS SETOF {schema}.{events} LANGUAGE plpgsql VOLATILE AS $body$ "
                "DECLARE decided bigint := least(upto, {schema}.{decided}()); "
                "BEGIN "
                "RETURN QUERY SELECT * FROM {schema}.{events} AS e "
                "WHERE e.notification_id > after AND e.notification_id <= decided "
                "AND (topics IS NULL OR e.topic = ANY(topics)) "
                "ORDER BY e.notification_id LIMIT lim; "
                "END $body$"
            ).format(**names)
        )
        self.read_statement = _rendered(
            SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id "
                "FROM {schema}.{read}(%s, %s, %s, %s)"
            ).format(**names)
        )
        self.decided_statement = _rendered(
            SQL("SELECT {schema}.{decided}() AS decided").format(**names)
        )
        # a rebuild's replay below a decided position, passing over one topic (ADR 0075)
        self.read_except_statement = _rendered(
            SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id "
                "FROM {schema}.{events} WHERE notification_id > %s AND notification_id <= %s "
                "AND topic <> %s ORDER BY notification_id LIMIT %s"
            ).format(**names)
        )
        self.max_decided_statement = _rendered(
            SQL(
                "SELECT max(notification_id) AS max FROM {schema}.{events} "
                "WHERE notification_id <= %s"
            ).format(**names)
        )
        self._names = names
        # (gt, lte, desc, limit) given: the statement, rendered at first use
        self._select_events_statements: dict[tuple[bool, bool, bool, bool], str] = {}
        # (keyed, one event): a one-event save binds scalars, which psycopg adapts in a
        # third of the time it takes to adapt four one-element arrays. Rendered at the
        # first save, once the notification id sequence's name is known (ADR 0068).
        self._save_statements: dict[tuple[bool, bool], str] = {}
        self._announcer = Announcer(
            datastore, _rendered(SQL("NOTIFY {0}").format(Identifier(self.channel_name)))
        )

    def create_table(self) -> None:
        """The library's DDL, one process at a time: every process and CLI command creates
        the tables at start, and two `CREATE OR REPLACE FUNCTION` at once fail with "tuple
        concurrently updated". A session lock on a second connection spans the library's
        own transactions."""
        key = f"rectify-ddl:{self.datastore.schema}:{self.events_table_name}"
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            try:
                super().create_table()
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def _save_statements_for(self, conn: Connection[DictRow]) -> dict[tuple[bool, bool], str]:
        """The save statements, rendered at the first save with the notification id
        sequence named as a constant: `pg_get_serial_sequence` looked the sequence up in
        the catalogue (pg_depend) on every save (ADR 0068). A `regclass` constant is a
        dependency of the prepared plan, so the plan is made again if the table is."""
        if not self._save_statements:
            row = conn.execute(
                "SELECT pg_get_serial_sequence(%s, 'notification_id') AS seq",
                (self._table_text,),
            ).fetchone()
            if row is None or row["seq"] is None:
                msg = f"no notification id sequence for {self.events_table_name}"
                raise ProgrammingError(msg)
            sequence = Literal(row["seq"])
            self._save_statements.update(
                {
                    (keyed, one): _rendered(self._save_statement(keyed, one, sequence))
                    for keyed in (False, True)
                    for one in (False, True)
                }
            )
        return self._save_statements

    def _save_statement(self, keyed: bool, one: bool, sequence: Literal) -> Composed:
        """One save (or one chunk of one) as one statement. The registration is an
        InitPlan, so it runs before the first row draws its id; the hash of each event
        chains onto the stored hash of its stream's previous version, or onto the event
        before it in this save (the recursion follows the versions of each stream)."""
        names = self._names
        key_part = SQL(
            ", keyed AS (INSERT INTO {schema}.{command_keys} (scope, fingerprint, item_id, "
            "position) SELECT %(scope)s, %(fingerprint)s, %(item)s::{id_type}, "
            "max(notification_id) FROM inserted)"
        ).format(**names)
        registered = SQL(
            "registered AS MATERIALIZED (SELECT 1 FROM (SELECT pg_advisory_xact_lock_shared("
            "{base} + coalesce(pg_sequence_last_value({sequence}::regclass) + 1, 1))) AS r)"
        ).format(sequence=sequence, **names)
        if one:
            return self._one_event_statement(registered, key_part if keyed else SQL(""))
        return SQL(
            "WITH RECURSIVE "
            "{registered}, "
            "new AS MATERIALIZED (SELECT u.*, row_number() OVER "
            "(PARTITION BY u.originator_id ORDER BY u.originator_version) AS rank "
            "FROM {rows} AS u(originator_id, originator_version, topic, state, ord)), "
            "inserted AS (INSERT INTO {schema}.{events} "
            "(originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state FROM new "
            "WHERE (SELECT count(*) FROM registered) = 1 ORDER BY ord "
            "RETURNING originator_id, originator_version, notification_id), "
            "chain (originator_id, originator_version, rank, hash) AS ("
            "SELECT n.originator_id, n.originator_version, n.rank, {first_hash} "
            "FROM new AS n CROSS JOIN LATERAL (SELECT coalesce((SELECT h.hash "
            "FROM {schema}.{hashes} AS h WHERE h.originator_id = n.originator_id "
            "AND h.originator_version < n.originator_version "
            "ORDER BY h.originator_version DESC LIMIT 1), {genesis}) AS hash) AS p "
            "WHERE n.rank = 1 "
            "UNION ALL "
            "SELECT n.originator_id, n.originator_version, n.rank, {next_hash} "
            "FROM chain AS c JOIN new AS n "
            "ON n.originator_id = c.originator_id AND n.rank = c.rank + 1), "
            "hashed AS (INSERT INTO {schema}.{hashes} "
            "(originator_id, originator_version, hash, notification_id) "
            "SELECT c.originator_id, c.originator_version, c.hash, i.notification_id "
            "FROM chain AS c JOIN inserted AS i USING (originator_id, originator_version) "
            "RETURNING 1)"
            "{keyed} "
            "SELECT i.notification_id, (SELECT count(*) FROM hashed) AS hashed "
            "FROM inserted AS i JOIN new AS n USING (originator_id, originator_version) "
            "ORDER BY n.ord"
        ).format(
            registered=registered,
            first_hash=_event_hash_sql("p.hash"),
            next_hash=_event_hash_sql("c.hash"),
            genesis=Literal(GENESIS),
            keyed=key_part if keyed else SQL(""),
            rows=SQL(
                "unnest(%(ids)s::{id_type}[], %(versions)s::bigint[], %(topics)s::text[], "
                "%(states)s::bytea[]) WITH ORDINALITY"
            ).format(**names),
            **names,
        )

    def _one_event_statement(self, registered: Composed, keyed: Composable) -> Composed:
        """The same save for one event, without what only a batch needs (ranking the
        events of each stream, the recursion through them, the join back to their
        order): the server's CPU for a one-event save fell by about a fifth (ADR 0068).
        The same registration first, the same hash, chained onto the stream's stored
        hash below the version saved, read in the statement's snapshot."""
        return SQL(
            "WITH {registered}, "
            "n AS MATERIALIZED (SELECT %(ids)s::{id_type} AS originator_id, "
            "%(versions)s::bigint AS originator_version, %(topics)s::text AS topic, "
            "%(states)s::bytea AS state), "
            "inserted AS (INSERT INTO {schema}.{events} "
            "(originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state FROM n "
            "WHERE (SELECT count(*) FROM registered) = 1 "
            "RETURNING originator_id, originator_version, notification_id), "
            "hashed AS (INSERT INTO {schema}.{hashes} "
            "(originator_id, originator_version, hash, notification_id) "
            "SELECT n.originator_id, n.originator_version, {hash}, i.notification_id "
            "FROM n JOIN inserted AS i USING (originator_id, originator_version) "
            "CROSS JOIN LATERAL (SELECT coalesce((SELECT h.hash "
            "FROM {schema}.{hashes} AS h WHERE h.originator_id = n.originator_id "
            "AND h.originator_version < n.originator_version "
            "ORDER BY h.originator_version DESC LIMIT 1), {genesis}) AS hash) AS p "
            "RETURNING 1)"
            "{keyed} "
            "SELECT i.notification_id, (SELECT count(*) FROM hashed) AS hashed "
            "FROM inserted AS i"
        ).format(
            registered=registered,
            hash=_event_hash_sql("p.hash"),
            genesis=Literal(GENESIS),
            keyed=keyed,
            **self._names,
        )

    # Few attempts: during an outage the caller is told at once (api/outages.py) and retries
    # with its idempotency key, rather than holding a command thread for a minute.
    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        refuse_nul(stored_events)
        key = kwargs.get("command_key")
        notification_ids: list[int] = []
        try:
            if tracing():
                with TRACER.start_as_current_span("event_store.append") as span:
                    span.set_attribute("rectify.events", len(stored_events))
                    self._save(stored_events, key, notification_ids)
                    trace_context.record(
                        self.datastore, self.record_trace_statement, span, notification_ids
                    )
            else:
                self._save(stored_events, key, notification_ids)
            EVENTS_APPENDED.inc(len(notification_ids))
        finally:
            # after the commit, or the rollback: either may move the decided position
            self._announcer.announce()
        return notification_ids

    def _save(self, stored_events: Sequence[StoredEvent], key: Any, ids: list[int]) -> None:
        with self.datastore.get_connection() as conn:
            # one chunk: the statement is its own transaction (one round trip)
            outer = conn.transaction() if len(stored_events) > CHUNK else nullcontext()
            statements = self._save_statements_for(conn)
            with outer:
                # tuples: a dict row's names are made per statement (ADR 0086)
                curs = kept_cursor(conn, tuple_row)
                for start in range(0, len(stored_events), CHUNK):
                    chunk = stored_events[start : start + CHUNK]
                    last = start + CHUNK >= len(stored_events)
                    # a second save under the key fails on its primary key
                    keyed = key is not None and last
                    one = len(chunk) == 1
                    params: dict[str, Any] = (
                        {
                            "ids": chunk[0].originator_id,
                            "versions": chunk[0].originator_version,
                            "topics": chunk[0].topic,
                            "states": chunk[0].state,
                        }
                        if one
                        else {
                            "ids": [e.originator_id for e in chunk],
                            "versions": [e.originator_version for e in chunk],
                            "topics": [e.topic for e in chunk],
                            "states": [e.state for e in chunk],
                        }
                    )
                    if keyed and key is not None:
                        params |= {
                            "scope": key.scope,
                            "fingerprint": key.fingerprint,
                            "item": stored_events[0].originator_id,
                        }
                    curs.execute(statements[keyed, one], params, prepare=True)
                    rows = curs.fetchall()  # (notification_id, hashed) per event
                    if len(rows) != len(chunk) or any(hashed != len(chunk) for _, hashed in rows):
                        msg = f"saved {len(rows)} of {len(chunk)} events"
                        raise ProgrammingError(msg)
                    ids.extend(notification_id for notification_id, _ in rows)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: Any,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's, with its SQL rendered once per shape: the library composes and
        renders the statement again on every load of every aggregate."""
        shape = (gt is not None, lte is not None, desc, limit is not None)
        statement = self._select_events_statements.get(shape)
        if statement is None:
            statement = self._select_events_statements[shape] = _rendered(
                SQL(
                    "SELECT originator_id, originator_version, topic, state "
                    "FROM {schema}.{events} WHERE originator_id = %s{gt}{lte} "
                    "ORDER BY originator_version {order}{limit}"
                ).format(
                    gt=SQL(" AND originator_version > %s" if gt is not None else ""),
                    lte=SQL(" AND originator_version <= %s" if lte is not None else ""),
                    order=SQL("DESC" if desc else "ASC"),
                    limit=SQL(" LIMIT %s" if limit is not None else ""),
                    **self._names,
                )
            )
        params = [originator_id, *(p for p in (gt, lte, limit) if p is not None)]
        with self.datastore.get_connection() as conn:
            curs = kept_cursor(conn, tuple_row)
            # binary rows: a state comes as its bytes, not hex-encoded text to decode (a
            # thousand-event stream's rows cost a quarter of the CPU, ADR 0086)
            curs.execute(statement, params, prepare=True, binary=True)
            return [
                StoredEvent(
                    originator_id=originator_id,
                    originator_version=originator_version,
                    topic=topic,
                    state=state,
                )
                for originator_id, originator_version, topic, state in curs.fetchall()
            ]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """The library's reading, bounded by the decided position: an event whose id is
        above an id still in flight waits until that transaction ends, so a reader that
        moves its position past what it read never passes over a late commit."""
        after = 0 if start is None else start - 1 if inclusive_of_start else start
        upto = 2**63 - 1 if stop is None else stop
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self.read_statement,
                (after, upto, list(topics) if topics else None, limit),
                prepare=True,
            )
            return _notifications(curs.fetchall())

    def select_notifications_except(
        self, after: int, stop: int, limit: int, topic: str
    ) -> Sequence[Notification]:
        """Up to `limit` notifications after `after` up to `stop`, less those of `topic`
        (a rebuild's replay once its registrations are projected, ADR 0075). Unlike
        `select_notifications`, no decided position bounds the read: `stop` must be one
        already (a rebuild's target is), so every id up to it has committed or rolled back."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.read_except_statement, (after, stop, topic, limit), prepare=True)
            return _notifications(curs.fetchall())

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def max_notification_id(self) -> int | None:
        """The largest id at or below the decided position: what a reader can reach."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            decided = self._decided(curs)
            curs.execute(self.max_decided_statement, (decided,), prepare=True)
            row = curs.fetchone()
        return None if row is None or row["max"] is None else int(row["max"])

    def decided_position(self, conn: Connection[DictRow]) -> int:
        """Every id at or below this has committed or rolled back (docs/decisions/0051).
        A read bounded by it must be a later statement under READ COMMITTED, so that its
        snapshot is taken after the position was found."""
        with conn.cursor() as curs:
            return self._decided(curs)

    def _decided(self, curs: Cursor[DictRow]) -> int:
        curs.execute(self.decided_statement, prepare=True)
        row = curs.fetchone()
        return 0 if row is None or row["decided"] is None else int(row["decided"])

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def command_result(self, scope: str) -> tuple[Any, int, str] | None:
        """(item id, position, fingerprint) of the command recorded under `scope`."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_command_key_statement, (scope,))
            row = curs.fetchone()
        if row is None:
            return None
        return row["item_id"], int(row["position"]), str(row["fingerprint"])

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def stored_streams(self, originator_ids: Sequence[Any]) -> set[Any]:
        """Which of these streams have events: one statement for a whole ledger, where
        asking the repository item by item costs a round trip (and a replay) per row."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_stored_streams_statement, (list(originator_ids),))
            return {row["originator_id"] for row in curs.fetchall()}

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def stream_integrity(self, originator_id: Any) -> dict[int, Integrity]:
        """What the hash chain says of each stored event of one stream (one statement, one
        snapshot): what the audit trail shows beside every entry (domain.audit_trail)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_stream_with_hashes_statement, (originator_id, originator_id))
            rows = [
                (
                    int(row["originator_version"]),
                    row["topic"],
                    None if row["state"] is None else bytes(row["state"]),
                    None if row["hash"] is None else bytes(row["hash"]),
                )
                for row in curs.fetchall()
            ]
        return chain_integrity(originator_id, rows)


class Announcer:
    """Sends the NOTIFY that wakes the log's listeners, after a save's transaction ended,
    from a thread of its own. Inside the save's transaction it would serialise every
    commit: PostgreSQL holds a database-wide lock from queueing a transaction's notices
    until its commit is flushed (measured here: 8 clients 174 commits/s with NOTIFY, 1,553
    without). A notify-only transaction has no xid and flushes nothing, and saves that end
    while one is being sent share the next. The thread stops when idle and starts again
    with the next save; if the database is unreachable, listeners poll.

    Two notices of one process are at least MIN_INTERVAL apart (ADR 0068): a save after a
    quiet moment is announced at once, but a stream of saves shares one NOTIFY per
    interval instead of sending one per save, each a round trip and a transaction on a
    connection of its own (a fifth of a one-event command's client CPU, on the command
    threads' GIL). A listener then hears of a save at most MIN_INTERVAL later."""

    IDLE_SECONDS = 5.0
    MIN_INTERVAL = 0.002

    def __init__(self, datastore: PostgresDatastore, statement: str) -> None:
        self.datastore, self.statement = datastore, statement
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def announce(self) -> None:
        self._wanted.set()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        sent = float("-inf")
        while True:
            if not self._wanted.wait(self.IDLE_SECONDS):
                with self._lock:
                    if not self._wanted.is_set():
                        self._thread = None
                        return
            pause = sent + self.MIN_INTERVAL - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # the saves that end meanwhile share this notice
            self._wanted.clear()
            try:
                with self.datastore.get_connection() as conn:
                    kept_cursor(conn, tuple_row).execute(self.statement)
                sent = time.monotonic()
            except Exception:  # a pool closed with its application, or an outage
                log.debug("announcer: NOTIFY not sent; listeners fall back to polling")
                with self._lock:
                    self._thread = None
                    return


def _notifications(rows: Sequence[DictRow]) -> list[Notification]:
    """The log's rows as the library's notifications."""
    return [
        Notification(
            id=row["notification_id"],
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
        for row in rows
    ]


def registration_base(schema: str, events_table_name: str) -> int:
    """Where the advisory lock keys of one log's writers start: each log of each schema
    has its own range, so writers of one do not hold back readers of another (two logs
    that share one, a chance in four million, only make readers wait longer). Never the
    first range: keys below 2**40 would meet the int4 keys of `hashtext` locks."""
    tag = 1 + zlib.crc32(f"{schema}.{events_table_name}".encode()) % (2**22 - 1)
    return tag * REGISTRATION_SPAN


def _event_hash_sql(previous: str) -> Composed:
    """infrastructure/event_hashes.event_hash in SQL, of the row `n` chained onto
    `previous`: every field length-prefixed with its 8-byte big-endian length."""
    prefix = encode(EVENT_TAG) + struct.pack(">Q", len(GENESIS))
    return SQL(
        "sha256({prefix} || " + previous + " || "
        "int8send(octet_length(convert_to(n.originator_id::text, 'UTF8'))) || "
        "convert_to(n.originator_id::text, 'UTF8') || "
        "int8send(8) || int8send(n.originator_version) || "
        "int8send(octet_length(convert_to(n.topic, 'UTF8'))) || convert_to(n.topic, 'UTF8') || "
        "int8send(octet_length(n.state)) || n.state)"
    ).format(prefix=Literal(prefix))


def kept_cursor(conn: Connection[Any], rows: RowFactory[Any]) -> Cursor[Any]:
    """A cursor kept on the pooled connection for the hot statements (a command's load
    and save), one per row factory: making a psycopg cursor (its transformer, its
    adapters) cost about as much as half the statement's own client CPU (ADR 0068). A
    connection is used by one thread at a time, so is its cursor; it goes with its
    connection. Where the connection takes no attribute, a new cursor each time."""
    kept: dict[Any, Cursor[Any]] | None = getattr(conn, "_rectify_cursors", None)
    if kept is None:
        kept = {}
        try:
            conn._rectify_cursors = kept  # type: ignore[attr-defined]
        except AttributeError:
            return conn.cursor(row_factory=rows)
    curs = kept.get(rows)
    if curs is None or curs.closed:
        curs = kept[rows] = conn.cursor(row_factory=rows)
    return curs


def _rendered(statement: Composed) -> str:
    """Rendered once: a save or a read must not compose its SQL again."""
    return statement.as_string()


def _type_if_missing(statement: Composed, schema: str, type_name: str) -> Composed:
    """The library creates its composite type unguarded at every start and swallows the
    DuplicateObject error, which the server still logs as `type … already exists` each
    time a process starts: ask the catalogue first (PostgreSQL has no CREATE TYPE IF NOT
    EXISTS)."""
    if "CREATE TYPE" not in statement.as_string():
        return statement
    qualified = Identifier(schema, type_name).as_string()
    return SQL("DO $$ BEGIN IF to_regtype({name}) IS NULL THEN {create}; END IF; END $$").format(
        name=Literal(qualified), create=statement
    )


def refuse_nul(stored_events: Sequence[StoredEvent]) -> None:
    """The last guard behind the edges' own checks (domain/text_rules.py): an event whose
    text holds NUL would stop every read model that copies it into a text column."""
    if any(holds_nul(e.state) for e in stored_events):
        raise InvalidInput("text", "含有空字符（U+0000），请删除后重试 / contains a NUL character")
