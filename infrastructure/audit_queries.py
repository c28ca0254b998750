"""The audit's reads of the event store: the hash rows, checkpoints and stream heads
beside the events table, as SQL over the recorder's tables (docs/decisions/0009)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from eventsourcing.persistence import StoredEvent
from psycopg import Connection, Cursor, pq
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from infrastructure.event_hashes import heads_digest
from infrastructure.event_store import ChunkedApplicationRecorder

ITERSIZE = 2000
# verify's passes (docs/decisions/0069): rows fetched at once, and whether libpq (17 on) can
# stream a result in chunks of them in one round trip, without a server-side cursor
CHUNK = 5000
CHUNKED = pq.version() >= 170000
SORT_MEMORY = "64MB"  # work_mem of verify's snapshot: the streams pass sorts in memory


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    position: int
    events: int
    taken_at: datetime
    log_digest: bytes
    digest: bytes
    mac: bytes | None = None  # None: taken before keyed checkpoints (docs/decisions/0025)
    acknowledged: bool = False  # taken over a gap an operator accepted
    # docs/decisions/0064: the id of the MAC's key (None: the unnamed RECTIFY_AUDIT_KEY),
    # and, once moved to it by `rectify audit rekey`, the key verified before and when
    key_id: str | None = None
    rekeyed_from: str | None = None
    rekeyed_at: datetime | None = None


def table_names(recorder: ChunkedApplicationRecorder) -> dict[str, Identifier]:
    return {
        "schema": Identifier(recorder.datastore.schema),
        "events": Identifier(recorder.events_table_name),
        "hashes": Identifier(recorder.hashes_table_name),
        "checkpoints": Identifier(recorder.checkpoints_table_name),
        "heads": Identifier(recorder.heads_table_name),
    }


def streams_query(recorder: ChunkedApplicationRecorder) -> Composed:
    """Every event and hash row by stream and version; the id as text, the form it is
    hashed in, under another name: sorting by the text would compare strings under the
    database's collation, several times slower than the uuids (docs/decisions/0069)."""
    return SQL(
        "SELECT originator_id::text AS stream, originator_version, e.topic, e.state, "
        "e.notification_id AS event_position, h.hash, h.notification_id AS hash_position, "
        "e.originator_id IS NOT NULL AS has_event, h.originator_id IS NOT NULL AS has_hash "
        "FROM {schema}.{events} AS e FULL OUTER JOIN {schema}.{hashes} AS h "
        "USING (originator_id, originator_version) "
        "ORDER BY originator_id, originator_version"
    ).format(**table_names(recorder))


# verify's statements rendered once per log: composing them took about 0.1 ms a verify
_RENDERED: dict[tuple[str, str, str], str] = {}


def _rendered(
    recorder: ChunkedApplicationRecorder,
    build: Callable[[ChunkedApplicationRecorder], Composed],
) -> str:
    key = (build.__name__, recorder.datastore.schema, recorder.events_table_name)
    text = _RENDERED.get(key)
    if text is None:
        text = _RENDERED[key] = build(recorder).as_string()
    return text


def log_order_query(recorder: ChunkedApplicationRecorder) -> str:
    """Every event in log order with its hash row: the one at the same log position,
    stream and version, or NULL. Both tables are read through their notification-id
    indexes and merged, with no sort (docs/decisions/0072)."""
    return _rendered(recorder, _log_order_query)


def _log_order_query(recorder: ChunkedApplicationRecorder) -> Composed:
    return SQL(
        "SELECT e.originator_id::text, e.originator_version, e.topic, e.state, "
        "e.notification_id, h.hash "
        "FROM {schema}.{events} AS e LEFT JOIN {schema}.{hashes} AS h "
        "ON h.notification_id = e.notification_id AND h.originator_id = e.originator_id "
        "AND h.originator_version = e.originator_version "
        "ORDER BY e.notification_id"
    ).format(**table_names(recorder))


def decided_hashes_query(recorder: ChunkedApplicationRecorder) -> Composed:
    """The hash rows in (after, upto]: `upto` a decided position (docs/decisions/0051)."""
    return SQL(
        "SELECT notification_id, hash FROM {schema}.{hashes} "
        "WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id"
    ).format(**table_names(recorder))


_CHECKPOINT_COLUMNS = (
    "seq, position, events, taken_at, log_digest, digest, mac, acknowledged, key_id, "
    "rekeyed_from, rekeyed_at"
)


def _checkpoints_query(recorder: ChunkedApplicationRecorder) -> Composed:
    return SQL(
        "SELECT " + _CHECKPOINT_COLUMNS + " FROM {schema}.{checkpoints} "
        "WHERE log = %s AND seq >= %s ORDER BY seq"
    ).format(**table_names(recorder))


def _checkpoints_of(rows: list[DictRow]) -> list[Checkpoint]:
    return [
        Checkpoint(
            row["seq"],
            row["position"],
            row["events"],
            row["taken_at"],
            bytes(row["log_digest"]),
            bytes(row["digest"]),
            bytes(row["mac"]) if row["mac"] is not None else None,
            bool(row["acknowledged"]),
            row["key_id"],
            row["rekeyed_from"],
            row["rekeyed_at"],
        )
        for row in rows
    ]


def read_checkpoints(
    curs: Cursor[DictRow], recorder: ChunkedApplicationRecorder, since: int | None = 0
) -> list[Checkpoint]:
    """The checkpoints of seq `since` on (all by default), or only the latest (None): a
    taker that runs on every projection batch must not read thousands to extend one."""
    if since is None:
        query = SQL(
            "SELECT * FROM (SELECT " + _CHECKPOINT_COLUMNS + " FROM {schema}.{checkpoints} "
            "WHERE log = %s ORDER BY seq DESC LIMIT 1) AS latest"
        ).format(**table_names(recorder))
        curs.execute(query, (recorder.events_table_name,))
    else:
        curs.execute(_checkpoints_query(recorder), (recorder.events_table_name, since))
    return _checkpoints_of(curs.fetchall())


@dataclass(frozen=True)
class Opening:
    """What verify reads first in its snapshot: every checkpoint of the log, how many hash
    rows there are (and of them, of a version 1: at most one a stream), and whether any
    checkpoint recorded stream heads."""

    checkpoints: list[Checkpoint]
    hash_rows: int
    first_versions: int
    heads: bool


def _opening_statement(recorder: ChunkedApplicationRecorder) -> Composed:
    """The snapshot's start and its first reads as one statement list (docs/decisions/0072):
    one round trip where `conn.transaction()`, the settings and the two reads took four.
    No JIT: the full join's row estimate (hundreds of times the rows) crossed
    jit_above_cost once the tables had statistics, and compiling took 7-50 ms of a
    3,000-event verify, for a plan that streams every row to Python anyway (0069). The
    stream-order pass sorts every event with its state: at the default 4 MB it went to disk
    from about 7,000 events (a third of an 11,000-event verify's query time)."""
    log = Literal(recorder.events_table_name)
    return SQL("; ").join(
        [
            SQL("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
            SQL("SET LOCAL jit = off"),
            SQL("SET LOCAL work_mem = {}").format(Literal(SORT_MEMORY)),
            SQL(
                "SELECT " + _CHECKPOINT_COLUMNS + " FROM {schema}.{checkpoints} "
                "WHERE log = {log} ORDER BY seq"
            ).format(log=log, **table_names(recorder)),
            SQL(
                "SELECT count(*) AS hash_rows, "
                "count(*) FILTER (WHERE originator_version = 1) AS first_versions, "
                "EXISTS (SELECT 1 FROM {schema}.{heads} WHERE log = {log}) AS heads "
                "FROM {schema}.{hashes}"
            ).format(log=log, **table_names(recorder)),
        ]
    )


@contextmanager
def read_only_snapshot(
    recorder: ChunkedApplicationRecorder,
) -> Iterator[tuple[Connection[DictRow], Opening]]:
    """A read-only REPEATABLE READ transaction on a pool connection (which is in autocommit
    mode), committed at the end, rolled back on an error; with what it reads first."""
    with recorder.datastore.get_connection() as conn:
        try:
            with conn.cursor() as curs:
                # a list of statements without parameters goes as one simple query, never
                # prepared; its results come one after another: BEGIN, SET, SET, then rows
                curs.execute(_rendered(recorder, _opening_statement), prepare=False)
                for _ in range(3):
                    curs.nextset()
                checkpoints = _checkpoints_of(curs.fetchall())
                curs.nextset()
                counts = curs.fetchone()
            assert counts is not None
            yield (
                conn,
                Opening(
                    checkpoints,
                    int(counts["hash_rows"]),
                    int(counts["first_versions"]),
                    bool(counts["heads"]),
                ),
            )
        except BaseException:
            conn.rollback()  # nothing to do when the transaction never began
            raise
        conn.commit()


def cursor_rows(
    conn: Connection[DictRow], name: str, query: Composed, params: tuple[Any, ...] = ()
) -> Iterator[DictRow]:
    with conn.cursor(name=name) as curs:
        curs.itersize = ITERSIZE
        curs.execute(query, params)
        yield from curs


@contextmanager
def streamed(
    conn: Connection[DictRow], name: str, query: Composed | str, params: tuple[Any, ...] = ()
) -> Iterator[Iterator[tuple[Any, ...]]]:
    """The rows as tuples, in binary (bytea as it is stored, not hex to decode), `CHUNK` at
    a time: in one round trip where libpq can, else through a server-side cursor `name`.
    Read to the end: leaving a stream early cancels its statement, which aborts the
    transaction. The iterator itself, for a loop that runs once per event: a generator
    around it cost a resumption per row (docs/decisions/0072)."""
    if CHUNKED:
        with conn.cursor(row_factory=tuple_row, binary=True) as curs:
            yield curs.stream(query, params, size=CHUNK)
        return
    with conn.cursor(name=name, row_factory=tuple_row, binary=True) as named:
        named.itersize = CHUNK
        named.execute(query, params)
        yield iter(named)


def stream_rows(
    conn: Connection[DictRow], name: str, query: Composed, params: tuple[Any, ...] = ()
) -> Iterator[tuple[Any, ...]]:
    """`streamed` as a generator, for the passes that run once per stream or checkpoint."""
    with streamed(conn, name, query, params) as rows:
        yield from rows


def stream_head(row: DictRow) -> tuple[Any, int, int, bytes]:
    """A stream head as the checkpoint MAC covers it: stream, version, position, hash."""
    return (row["originator_id"], row["originator_version"], row["notification_id"],
            bytes(row["hash"]))  # fmt: skip


def heads_digest_of(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, seq: int
) -> bytes:
    query = SQL(
        "SELECT originator_id, originator_version, notification_id, hash FROM {schema}.{heads} "
        "WHERE log = %s AND seq = %s ORDER BY originator_id"
    ).format(**table_names(recorder))
    rows = conn.execute(query, (recorder.events_table_name, seq)).fetchall()
    return heads_digest(stream_head(r) for r in rows)


def heads_digests(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder
) -> dict[int, bytes]:
    """The digest of the heads every checkpoint of the log recorded, by seq (seqs whose
    checkpoint row is gone included)."""
    return heads_digests_checked(conn, recorder)[0]


def heads_digests_checked(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder
) -> tuple[dict[int, bytes], bool]:
    """`heads_digests`, and whether any recorded head's hash row is gone or now holds
    another hash: one probe a head, where `broken_heads_query` takes two and its subqueries
    (docs/decisions/0072)."""
    # the id as text, the form it is digested in (0072); ordered by the uuid, as recorded
    query = SQL(
        "SELECT k.seq, k.originator_id::text, k.originator_version, k.notification_id, "
        "k.hash, h.hash IS DISTINCT FROM k.hash AS changed "
        "FROM {schema}.{heads} AS k LEFT JOIN {schema}.{hashes} AS h "
        "ON h.originator_id = k.originator_id AND h.originator_version = k.originator_version "
        "WHERE k.log = %s ORDER BY k.seq, k.originator_id"
    ).format(**table_names(recorder))
    digests: dict[int, bytes] = {}
    changed = False
    rows = stream_rows(conn, "audit_heads", query, (recorder.events_table_name,))
    for seq, group in groupby(rows, key=lambda r: int(r[0])):
        heads = []
        for _, oid, version, position, hash_, differs in group:
            heads.append((oid, version, position, hash_))
            changed = changed or differs
        digests[seq] = heads_digest(heads)
    return digests, changed


def broken_heads_query(recorder: ChunkedApplicationRecorder) -> Composed:
    """Recorded heads that no longer match the stream: their hash row or event is gone or
    differs. With each, the newest version of the stream left, its hash row, and the newest
    recorded head of the stream below it that still matches."""
    return SQL(
        "SELECT c.originator_id, c.originator_version, c.seq, "
        "h.hash AS stored, h.hash IS NOT NULL AND h.hash <> c.hash AS differs, "
        "e.originator_id IS NOT NULL AS has_event, "
        "(SELECT max(l.originator_version) FROM {schema}.{events} AS l "
        " WHERE l.originator_id = c.originator_id) AS last_version, "
        "(SELECT t.hash FROM {schema}.{hashes} AS t WHERE t.originator_id = c.originator_id "
        " ORDER BY t.originator_version DESC LIMIT 1) AS tail_hash, "
        "(SELECT max(k.originator_version) FROM {schema}.{heads} AS k "
        " JOIN {schema}.{hashes} AS kh USING (originator_id, originator_version) "
        " WHERE k.log = c.log AND k.originator_id = c.originator_id "
        " AND k.originator_version < c.originator_version AND kh.hash = k.hash) AS last_good "
        "FROM {schema}.{heads} AS c "
        "LEFT JOIN {schema}.{hashes} AS h USING (originator_id, originator_version) "
        "LEFT JOIN {schema}.{events} AS e USING (originator_id, originator_version) "
        "WHERE c.log = %s AND (h.hash IS DISTINCT FROM c.hash OR e.originator_id IS NULL) "
        "ORDER BY c.originator_id, c.originator_version"
    ).format(**table_names(recorder))


def first_event_after(
    conn: Connection[DictRow], recorder: ChunkedApplicationRecorder, position: int
) -> tuple[int, StoredEvent] | None:
    row = conn.execute(
        SQL(
            "SELECT originator_id, originator_version, topic, state, notification_id "
            "FROM {schema}.{events} WHERE notification_id > %s ORDER BY notification_id LIMIT 1"
        ).format(**table_names(recorder)),
        (position,),
    ).fetchone()
    if row is None:
        return None
    stored = StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )
    return int(row["notification_id"]), stored


def latest_checkpoint(recorder: ChunkedApplicationRecorder) -> Checkpoint | None:
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        checkpoints = read_checkpoints(curs, recorder, None)
    return checkpoints[-1] if checkpoints else None
