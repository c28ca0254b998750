"""Rate limits shared by every API process: the counters live in PostgreSQL (table
rate_limits, projections/rate_limits.sql), so two API processes behind a proxy hold one
limit between them, not one each (ADR 0050).

Each key (`mutations:<token subject>`, `sign-ins:<client address>`) has one row: the hits
of each of the window's last 60 one-second buckets, oldest first, and the newest bucket's
second. A check is one statement: `INSERT … ON CONFLICT DO UPDATE` locks the key's row,
slides the buckets to the current second, and adds the hits only if they fit; a second
process checking the same key at the same moment waits for that row and sees the first
one's hits. A hit is counted for between 59 and 60 s (its bucket's end), never longer.

Time is the database's clock, so API hosts whose clocks differ count in the same
seconds; tests inject a clock instead. A check that meets a lost database connection is
an outage (api/outages.py): the request gets the same fast 503 it would have got anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from api.outages import CONNECTION_ERRORS, ServiceUnavailable

WINDOW_SECONDS = 60

# $1 key, $2 hits asked for, $3 limit, $4 buckets in the window, $5 now (NULL: the
# database's clock). `slid` is the key's buckets moved to the current second.
TAKE = """
WITH now AS (
    SELECT COALESCE($5::float8, extract(epoch FROM statement_timestamp())::float8) AS at,
           $2::int AS hits, $3::int AS limit_, $4::int AS buckets
)
INSERT INTO rate_limits AS r (key, bucket, counts, admitted)
SELECT $1::text, floor(now.at)::bigint,
       array_fill(0, ARRAY[now.buckets - 1]) || CASE WHEN now.hits <= now.limit_
                                                     THEN now.hits ELSE 0 END,
       now.hits <= now.limit_
FROM now
ON CONFLICT (key) DO UPDATE SET (bucket, counts, admitted) = (
    SELECT slid.bucket,
           CASE WHEN slid.total + $2::int <= $3::int
                THEN slid.counts[1:cardinality(slid.counts) - 1]
                     || (slid.counts[cardinality(slid.counts)] + $2::int)
                ELSE slid.counts END,
           slid.total + $2::int <= $3::int
    FROM (
        SELECT moved.bucket, moved.counts,
               (SELECT coalesce(sum(n), 0)::int FROM unnest(moved.counts) AS n) AS total
        FROM (
            SELECT greatest(r.bucket, excluded.bucket) AS bucket,
                   r.counts[shift.by + 1:cardinality(r.counts)]
                   || array_fill(0, ARRAY[shift.by]) AS counts
            FROM (
                SELECT least(greatest(excluded.bucket - r.bucket, 0),
                             cardinality(r.counts))::int AS by
            ) AS shift
        ) AS moved
    ) AS slid
)
RETURNING bucket, counts, admitted, (SELECT at FROM now) AS at
"""

Clock = Callable[[], float]


def wait_for(counts: Sequence[int], bucket: int, now: float, count: int, limit: int) -> float:
    """Seconds until `count` more hits fit, given the key's buckets (oldest first, the
    last one being second `bucket`): the i-th bucket stops counting at `bucket + 1 + i`."""
    total = sum(counts)
    for index, hits in enumerate(counts):
        total -= hits
        if total + count <= limit:
            return max(bucket + 1 + index - now, 0.001)
    return float(len(counts))


class SharedWindow:
    """At most `limit` hits per key in any `window` seconds, across every process that
    uses the same database. `name` keeps the keys of different limits apart."""

    def __init__(
        self, name: str, limit: int, window: int = WINDOW_SECONDS, clock: Clock | None = None
    ) -> None:
        self.name = name
        self.limit = limit
        self.window = window
        self.clock = clock

    async def take(self, pool: Any, key: str, count: int = 1) -> float:
        """Records `count` hits and returns 0, or records nothing and returns the seconds
        to wait until they would fit. No limit (0) or no hits asks nothing of the database."""
        if self.limit <= 0 or count <= 0:
            return 0.0
        if count > self.limit:
            return float(self.window)
        now = self.clock() if self.clock is not None else None
        try:
            row = await pool.fetchrow(
                TAKE, f"{self.name}:{key}", count, self.limit, self.window, now
            )
        except CONNECTION_ERRORS:
            raise ServiceUnavailable() from None
        if row["admitted"]:
            return 0.0
        return wait_for(row["counts"], row["bucket"], row["at"], count, self.limit)
