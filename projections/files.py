"""The evidence-file store (整改佐证材料) and the read model of which item references which file.

Files are kept in PostgreSQL beside the log (tables in files.sql), content-addressed by
their sha256: written once, never changed, the same content stored once however often it
is uploaded. They are not a read model — nothing rebuilds them from the log, and a rebuild
leaves them alone — but they live here with the other tables the API reads and writes with
asyncpg, so the API, the projection runner and the case files share one definition.

`FileReferenceProjection` is a read model: for every event whose `attachments` list names
`sha256:<hex>`, the item (stream) that references the file, so a download can be allowed
to whoever may read one of those items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from domain.evidence import stored_digests
from domain.personal_data import aggregate_of
from projections.rows import Pool
from projections.rowset import Appends


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    file_name: str  # as its first uploader named it
    uploaded_by: str
    uploaded_at: datetime
    intact: bool  # the content still hashes to its key


class FileReferenceProjection:
    NAME = "file_reference"
    TABLES: ClassVar[tuple[str, ...]] = ("file_references",)

    def __init__(self, cursor: Cursor[Any]) -> None:
        self.cur = cursor
        self.references = Appends(cursor, "file_references", ("sha256", "item_id"), "nothing")

    def flush(self) -> None:
        self.references.flush()

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None:
        attachments = getattr(event, "attachments", None)
        if not isinstance(attachments, list):
            return
        digests = stored_digests(attachments)
        if not digests:
            return
        kind = aggregate_of(getattr(type(event), "TOPIC", ""))
        for digest in digests:
            self.references.add(
                {
                    "sha256": digest,
                    "item_id": event.originator_id,
                    "kind": kind,
                    "position": position,
                }
            )


# -- the store (asyncpg, for the API) -------------------------------------------------


async def store(
    pool: Pool,
    digest: str,
    content: bytes,
    media_type: str,
    file_name: str,
    uploaded_by: str,
    agency_id: UUID | None,
) -> bool:
    """Keep `content` under its digest and record this upload; True if the content is new."""
    async with pool.acquire() as conn, conn.transaction():
        created = await conn.fetchval(
            "INSERT INTO evidence_files (sha256, content, size, media_type)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING RETURNING true",
            digest,
            content,
            len(content),
            media_type,
        )
        await conn.execute(
            "INSERT INTO evidence_uploads (sha256, uploaded_by, agency_id, file_name)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (sha256, uploaded_by) DO NOTHING",
            digest,
            uploaded_by,
            agency_id,
            file_name,
        )
    return bool(created)


_DESCRIBE = (
    "SELECT f.sha256, f.size, f.media_type, u.file_name, u.uploaded_by, u.uploaded_at,"
    " encode(sha256(f.content), 'hex') = f.sha256 AS intact"
    " FROM evidence_files f"
    " JOIN LATERAL (SELECT * FROM evidence_uploads WHERE sha256 = f.sha256"
    "   ORDER BY uploaded_at, uploaded_by LIMIT 1) u ON true"
)


async def describe(pool: Pool, digest: str) -> StoredFile | None:
    row = await pool.fetchrow(f"{_DESCRIBE} WHERE f.sha256 = $1", digest)
    return StoredFile(**dict(row)) if row else None


async def content(pool: Pool, digest: str) -> bytes | None:
    found = await pool.fetchval("SELECT content FROM evidence_files WHERE sha256 = $1", digest)
    return bytes(found) if found is not None else None


async def uploaded_by(pool: Pool, digest: str, subject: str, agency_id: UUID | None) -> bool:
    """Whether `subject` uploaded the file, or (`agency_id` given) someone of that agency."""
    found = await pool.fetchval(
        "SELECT true FROM evidence_uploads WHERE sha256 = $1"
        " AND (uploaded_by = $2 OR (agency_id IS NOT NULL AND agency_id = $3)) LIMIT 1",
        digest,
        subject,
        agency_id,
    )
    return bool(found)


async def references(pool: Pool, digest: str) -> list[tuple[UUID, str]]:
    """The items (id, aggregate kind) whose events reference the file."""
    rows = await pool.fetch(
        "SELECT item_id, kind FROM file_references WHERE sha256 = $1 ORDER BY position", digest
    )
    return [(row["item_id"], row["kind"]) for row in rows]


# -- for case files (psycopg, in the CLI) ---------------------------------------------


def describe_all(cur: Cursor[Any], digests: list[str]) -> dict[str, StoredFile]:
    """The stored files among `digests`; a digest missing from the result is not stored."""
    if not digests:
        return {}
    rows = cur.execute(f"{_DESCRIBE} WHERE f.sha256 = ANY(%s)", (digests,)).fetchall()
    columns = [c.name for c in cur.description or []]
    found = [
        StoredFile(**(row if isinstance(row, dict) else dict(zip(columns, row, strict=True))))
        for row in rows
    ]
    return {f.sha256: f for f in found}
