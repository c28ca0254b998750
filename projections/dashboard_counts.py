"""The dashboard's counters (ADR 0060): issues per campaign, and per responsible agency and
role, by status and due day, so `dashboard` sums a campaign's few counter rows
instead of aggregating every issue on every request, and an agency's work queue counts its
issues from them.

Listed after the ledger in the registry, so it runs once the ledger has written the
batch's issue rows: the issues the batch registered, submitted, rejected, closed, reopened
or extended are
read back from `issues` as they are now, compared with how they were last counted
(`dashboard_issues`), and the difference is added to the counters — one statement for
the whole batch, and one more that deletes the counters that fell to zero (so a counter
row exists exactly when a rebuild would make it).

The ledger decides what an issue's status and due day are; this model only counts them.
Reading `issues` — which changes — from another model is safe here because the counted
state is compared with the current one, not folded from events: whatever order batches
come in, and when this model is rebuilt alone against a ledger already at the head, the
counters end equal to the ledger's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.issues import RectificationIssue as Issue
from projections import staging

# The events after which the ledger's row of an issue may count differently: a new issue,
# a new status (submitted, rejected, closed, open again), a new due day.
COUNTED_CHANGES = (
    Issue.Registered,
    Issue.SubmittedForVerification,
    Issue.Rejected,
    Issue.SignedOff,
    Issue.Reopened,
    Issue.ExtensionApproved,
)

# How an issue counts: its status, and its due day (9999-12-31 when undated).
_NOW = (
    "SELECT i.id AS issue_id, i.campaign_id, i.status,"
    " coalesce(i.due_date, DATE '9999-12-31') AS due"
    " FROM issues i JOIN touched t ON t.id = i.id"
)

# Counted before (-1) and now (+1), summed per counter; the snapshot replaced. All
# sub-statements see the tables as they were before the statement, so `old` is the
# state last counted even though `kept` overwrites it.
_COUNT = f"""
WITH touched AS (SELECT DISTINCT unnest(%s::uuid[]) AS id),
old AS (
    SELECT d.issue_id, d.campaign_id, d.status, d.due
    FROM dashboard_issues d JOIN touched t ON t.id = d.issue_id),
now AS ({_NOW}),
kept AS (
    INSERT INTO dashboard_issues (issue_id, campaign_id, status, due) SELECT * FROM now
    ON CONFLICT (issue_id) DO UPDATE SET campaign_id = excluded.campaign_id,
        status = excluded.status, due = excluded.due),
gone AS (
    DELETE FROM dashboard_issues d USING touched t
    WHERE d.issue_id = t.id AND NOT EXISTS (SELECT 1 FROM now WHERE now.issue_id = t.id)),
diff AS (
    SELECT issue_id, campaign_id, status, due, -1 AS n FROM old
    UNION ALL SELECT issue_id, campaign_id, status, due, 1 FROM now),
totals AS (
    INSERT INTO dashboard_counts (campaign_id, status, due, n)
    SELECT campaign_id, status, due, sum(n) FROM diff GROUP BY 1, 2, 3 HAVING sum(n) <> 0
    ON CONFLICT (campaign_id, status, due) DO UPDATE SET n = dashboard_counts.n + excluded.n)
INSERT INTO dashboard_agency_counts (campaign_id, agency_id, role, status, due, n)
SELECT d.campaign_id, r.agency_id, r.role, d.status, d.due, sum(d.n)
FROM diff d JOIN issue_responsibilities r ON r.issue_id = d.issue_id
GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0
ON CONFLICT (campaign_id, agency_id, role, status, due)
    DO UPDATE SET n = dashboard_agency_counts.n + excluded.n
"""
# a separate statement: the upserts above are not visible within their own statement
_DROP_ZEROS = (
    "DELETE FROM dashboard_counts WHERE n = 0; DELETE FROM dashboard_agency_counts WHERE n = 0"
)


# A rebuild counts every issue once, after the replay, from the rows the ledger ends with
# (ADR 0066): the same statements that fill the counters when their tables are first made
# (schema_dashboard.sql). The batches' counting telescopes to exactly this — each batch
# takes back what it counted before and adds what is there now — so the rows are the
# ones the runner's batches leave, with no counter at zero (count(*) is never 0).
_SNAPSHOT_ALL = """
INSERT INTO dashboard_issues (issue_id, campaign_id, status, due)
    SELECT id, campaign_id, status, coalesce(due_date, DATE '9999-12-31') FROM issues
"""
_COUNT_ALL = """
INSERT INTO dashboard_counts (campaign_id, status, due, n)
    SELECT campaign_id, status, due, count(*) FROM dashboard_issues GROUP BY 1, 2, 3;
INSERT INTO dashboard_agency_counts (campaign_id, agency_id, role, status, due, n)
    SELECT d.campaign_id, r.agency_id, r.role, d.status, d.due, count(*)
    FROM dashboard_issues d JOIN issue_responsibilities r ON r.issue_id = d.issue_id
    GROUP BY 1, 2, 3, 4, 5
"""


class DashboardCountsProjection:
    TABLES: ClassVar[tuple[str, ...]] = (
        "dashboard_issues",
        "dashboard_counts",
        "dashboard_agency_counts",
    )

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.touched: set[UUID] = set()

    def prepare(self, batch: Sequence[tuple[DomainEventProtocol[Any], int]]) -> None:
        self.touched = {e.originator_id for e, _ in batch if isinstance(e, COUNTED_CHANGES)}

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        """Nothing per event: the batch's issues are counted at once in `flush`."""

    @staticmethod
    def rebuild(cur: Cursor[Any]) -> None:
        """Fill the fresh (empty) counters of a rebuild at once, after the replay: a
        rebuild gives this model no batches (it was a tenth of a rebuild's time)."""
        staging.fill(cur, "dashboard_issues", _SNAPSHOT_ALL)
        cur.execute(_COUNT_ALL)

    def flush(self) -> None:
        if not self.touched:
            return
        self.cur.execute(_COUNT, (list(self.touched),))
        self.cur.execute(_DROP_ZEROS)
