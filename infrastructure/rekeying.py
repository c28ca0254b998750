"""Moving the audit checkpoints to the current key, so an old key can be retired
(`rectify audit rekey`, docs/decisions/0064).

Every checkpoint not under the current key is first verified under the key it names; only
if all of them hold are they given a new MAC under the current key, in one transaction and
under the lock the checkpoint takers hold. The new MAC covers what the old one did (the
checkpoint's digest, its heads, whether a gap was acknowledged) and the move itself: the
key verified before and when. So a re-MAC asserts nothing the old key had not, and the
record of it is as hard to alter as the checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from psycopg.sql import SQL

from infrastructure.audit_keys import AuditKeys, shown, unknown_key
from infrastructure.audit_queries import ITERSIZE, heads_digests, read_checkpoints, table_names
from infrastructure.checkpoints import lock_chain
from infrastructure.custody import authentic
from infrastructure.event_hashes import heads_digest, rekeyed_mac
from infrastructure.event_store import ChunkedApplicationRecorder


class RekeyRefused(Exception):
    """A checkpoint to move does not verify under the key it names, or that key is not
    configured: moving it would bless what cannot be proven. Nothing was changed."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Rekeyed:
    moved: dict[str | None, int]  # checkpoints moved, by the key they were under
    to: str | None
    at: datetime
    checkpoints: int  # all the log has


def rekey(recorder: ChunkedApplicationRecorder, keys: AuditKeys) -> Rekeyed:
    """Give every checkpoint not under `keys.current` a new MAC under it, having verified
    it under its own key first; refused (RekeyRefused, nothing changed) if any fails.
    Idempotent: checkpoints already under the current key are left as they are."""
    names = table_names(recorder)
    at = datetime.now(UTC)
    moved: dict[str | None, int] = {}
    with recorder.datastore.get_connection() as conn, conn.transaction():
        lock_chain(conn, recorder)
        with conn.cursor() as curs:
            checkpoints = read_checkpoints(curs, recorder)
        digests = heads_digests(conn, recorder)
        empty = heads_digest(())
        rows: list[tuple[int, bytes, str | None]] = []
        for checkpoint in checkpoints:
            if checkpoint.key_id == keys.current:
                continue
            key = keys.key(checkpoint.key_id)
            if key is None:
                raise RekeyRefused(
                    f"{unknown_key(checkpoint.seq, checkpoint.key_id)}；未改动任何检查点 / "
                    "no checkpoint was changed"
                )
            heads = digests.get(checkpoint.seq, empty)
            if not authentic(key, checkpoint, heads):
                raise RekeyRefused(
                    f"检查点 #{checkpoint.seq} 在密钥 {shown(checkpoint.key_id)} 下认证码不符，"
                    f"拒绝改换密钥，未改动任何检查点 / checkpoint #{checkpoint.seq} does not "
                    f"authenticate under key {shown(checkpoint.key_id)}; refusing to move it "
                    "to the current key, no checkpoint was changed (run `rectify audit verify`)"
                )
            mac = rekeyed_mac(
                keys.current_key,
                checkpoint.digest,
                heads,
                checkpoint.acknowledged,
                checkpoint.key_id,
                at,
            )
            rows.append((checkpoint.seq, mac, checkpoint.key_id))
            moved[checkpoint.key_id] = moved.get(checkpoint.key_id, 0) + 1
        update = SQL(
            "UPDATE {schema}.{checkpoints} AS c SET mac = m.mac, key_id = %s, "
            "rekeyed_from = m.before, rekeyed_at = %s "
            "FROM unnest(%s::bigint[], %s::bytea[], %s::text[]) AS m(seq, mac, before) "
            "WHERE c.log = %s AND c.seq = m.seq"
        ).format(**names)
        for start in range(0, len(rows), ITERSIZE):
            seqs, macs, before = (
                list(c) for c in zip(*rows[start : start + ITERSIZE], strict=True)
            )
            conn.execute(update, (keys.current, at, seqs, macs, before, recorder.events_table_name))
    return Rekeyed(moved, keys.current, at, len(checkpoints))
