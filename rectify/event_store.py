"""The application recorder we store events with.

The library's PostgreSQL recorder sends each save as one pipelined batch. Over a Unix
socket (the embedded server) a save of a few thousand events fills the socket buffers in
both directions and psycopg's pipeline waits forever (see psycopg issue #685 for the
family of this deadlock). A ledger import must stay one transaction however large the
file, so this recorder keeps the library's semantics (table lock so that commit order is
notification order, NOTIFY for listeners, unique constraint as optimistic concurrency)
but inserts in bounded chunks inside one ordinary transaction, without pipeline mode.

It also makes the log tamper-evident (docs/decisions/0009-tamper-evidence.md): every
event gets a row in `<events table>_hashes` chaining it to the previous event of its
stream, written in the same transaction. The previous hashes are read after the table
lock is taken, so concurrent writers cannot both chain onto the same predecessor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

from domain.audit_trail import Integrity
from domain.errors import InvalidInput
from projections.parked import holds_nul
from rectify.event_hashes import GENESIS, chain_integrity, event_hash

CHUNK = 500
TOPIC = "rectify.event_store:ChunkedApplicationRecorder"
CHECKPOINTS_TABLE = "audit_checkpoints"
COMMAND_KEYS_TABLE = "command_keys"
HEADS_TABLE = "audit_checkpoint_heads"


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
        names = {
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
        self.insert_command_key_statement = SQL(
            "INSERT INTO {schema}.{command_keys} (scope, fingerprint, item_id, position) "
            "VALUES (%s, %s, %s, %s)"
        ).format(**names)
        self.select_command_key_statement = SQL(
            "SELECT item_id, position, fingerprint FROM {schema}.{command_keys} WHERE scope = %s"
        ).format(**names)
        self.select_stream_with_hashes_statement = SQL(
            "SELECT originator_version, e.topic, e.state, h.hash "
            "FROM (SELECT * FROM {schema}.{events} WHERE originator_id = %s) AS e "
            "FULL OUTER JOIN (SELECT * FROM {schema}.{hashes} WHERE originator_id = %s) AS h "
            "USING (originator_id, originator_version) ORDER BY originator_version"
        ).format(**names)
        self.select_latest_hashes_statement = SQL(
            "SELECT DISTINCT ON (originator_id) originator_id, hash FROM {schema}.{hashes} "
            "WHERE originator_id = ANY(%s::{id_type}[]) "
            "ORDER BY originator_id, originator_version DESC"
        ).format(**names)
        # Joined with the events just inserted, so each hash row gets its event's
        # notification id without relying on the order RETURNING gives them back in.
        self.insert_hashes_statement = SQL(
            "INSERT INTO {schema}.{hashes} "
            "(originator_id, originator_version, hash, notification_id) "
            "SELECT h.originator_id, h.originator_version, h.hash, e.notification_id "
            "FROM unnest(%s::{id_type}[], %s::bigint[], %s::bytea[]) "
            "AS h(originator_id, originator_version, hash) "
            "JOIN {schema}.{events} AS e USING (originator_id, originator_version)"
        ).format(**names)

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

    # Few attempts: during an outage the caller is told at once (api/outages.py) and retries
    # with its idempotency key, rather than holding a command thread for a minute.
    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        refuse_nul(stored_events)
        notification_ids: list[int] = []
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._lock_table(curs)
            self._notify_channel(curs)
            hashes = self._chain(curs, stored_events)
            for start in range(0, len(stored_events), CHUNK):
                chunk = stored_events[start : start + CHUNK]
                rows = [
                    self.construct_pg_stored_event(
                        e.originator_id, e.originator_version, e.topic, e.state
                    )
                    for e in chunk
                ]
                curs.execute(self.insert_events_statement, (rows,))
                notification_ids.extend(row["notification_id"] for row in curs.fetchall())
            for start in range(0, len(stored_events), CHUNK):
                chunk = stored_events[start : start + CHUNK]
                curs.execute(
                    self.insert_hashes_statement,
                    (
                        [e.originator_id for e in chunk],
                        [e.originator_version for e in chunk],
                        hashes[start : start + CHUNK],
                    ),
                )
                if curs.rowcount != len(chunk):
                    msg = f"hashed {curs.rowcount} of {len(chunk)} events"
                    raise ProgrammingError(msg)
            key = kwargs.get("command_key")
            if key is not None:  # a second save under the key fails on the primary key
                curs.execute(
                    self.insert_command_key_statement,
                    (
                        key.scope,
                        key.fingerprint,
                        stored_events[0].originator_id,
                        max(notification_ids),
                    ),
                )
        return notification_ids

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

    def _chain(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> list[bytes]:
        """Each event's hash, in the order given, chained in version order per stream onto
        the latest stored hash of that stream (read under the table lock)."""
        ids = list({e.originator_id: None for e in stored_events})
        latest: dict[Any, bytes] = {}
        for start in range(0, len(ids), CHUNK):
            curs.execute(self.select_latest_hashes_statement, (ids[start : start + CHUNK],))
            latest.update((row["originator_id"], bytes(row["hash"])) for row in curs.fetchall())
        by_position: dict[int, bytes] = {}
        in_version_order = sorted(
            range(len(stored_events)),
            key=lambda i: (
                str(stored_events[i].originator_id),
                stored_events[i].originator_version,
            ),
        )
        for i in in_version_order:
            e = stored_events[i]
            latest[e.originator_id] = by_position[i] = event_hash(
                latest.get(e.originator_id, GENESIS),
                e.originator_id,
                e.originator_version,
                e.topic,
                e.state,
            )
        return [by_position[i] for i in range(len(stored_events))]


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
