"""An instance's history stored packed: the events one command records go into one row (a batch) as deflated
JSON, rather than a row each.

A row per event cost ~410 bytes on disk per event (the instance id in the row and in two indexes, two hex
hashes, the timestamps as text) and a B-tree insert per event on the hottest write. A batch carries, per event,
its seq, its time as microseconds after the batch's first, type, activity, actor, data and hash; the rest is
derived when read: the instance id from the row, each event's `prev_hash` from the event before it (the batch's
`prev_hash` column for its first). Events are exactly what the hash chain (engine.history.chain) covers, so
verification and the audit export see the same fields as before; see engine.history.reading for reading them.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

# Events per row at most: a command that records more (a long loop run in one go) writes several rows, so no
# row grows without bound and reading one instance's history never inflates one huge document.
BATCH_EVENTS = 500
# zlib's level 6, as for workflow state (engine/store/compressed_text.py).
LEVEL = 6
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One event of an instance's history, as read back."""

    instance_id: str
    seq: int
    at: datetime
    type: str
    activity_id: str | None
    activity_name: str | None
    actor: str | None
    data: dict | None
    prev_hash: str | None
    hash: str | None


class UnreadableBatch(ValueError):
    """A stored batch that is not what pack() writes: it was changed outside Fuse."""


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def pack(rows: list[dict], first_at: datetime) -> bytes:
    """The stored form of chained event rows (dicts with the chain's fields and `hash`), oldest first."""
    return zlib.compress(_ENCODER.encode([
        [row["seq"], _micros(row["at"] - first_at), row["type"], row["activity_id"], row["activity_name"],
         row["actor"], row["data"], row["hash"]] for row in rows]).encode(), LEVEL)


def unpack(instance_id: str, first_at: datetime, prev_hash: str | None, packed: bytes) -> list[RecordedEvent]:
    """The events of a stored batch, each linked to the one before it (the first to `prev_hash`)."""
    try:
        items = json.loads(zlib.decompress(bytes(packed)))  # psycopg gives a memoryview
        events = []
        for seq, offset, kind, activity_id, activity_name, actor, data, own_hash in items:
            events.append(RecordedEvent(instance_id, seq, first_at + timedelta(microseconds=offset), kind,
                                        activity_id, activity_name, actor, data, prev_hash, own_hash))
            prev_hash = own_hash
    except (zlib.error, ValueError, TypeError) as unreadable:
        raise UnreadableBatch(str(unreadable)) from unreadable
    return events


def stored_batches(instance_id: str, rows: list[dict], prev_hash: str | None) -> list[dict]:
    """The rows of `history_batches` for chained event rows (oldest first, the first linked to `prev_hash`): at
    most BATCH_EVENTS events each, each row spanning its events' times (a clock may step back: exports find
    batches by that range)."""
    stored = []
    for start in range(0, len(rows), BATCH_EVENTS):
        batch = rows[start:start + BATCH_EVENTS]
        first_at = min(row["at"] for row in batch)
        stored.append(dict(instance_id=instance_id, first_seq=batch[0]["seq"], last_seq=batch[-1]["seq"],
                           first_at=first_at, last_at=max(row["at"] for row in batch), prev_hash=prev_hash,
                           events=pack(batch, first_at)))
        prev_hash = batch[-1]["hash"]
    return stored
