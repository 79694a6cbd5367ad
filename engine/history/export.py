"""Exporting history by time range: events as JSON-ready dicts, read a few batches at a time (never all at once)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

from sqlalchemy.orm import Session

from engine.history.chain import HASHED_FIELDS, canonical_at
from engine.history.packing import RecordedEvent
from engine.history.reading import history_between

EXPORTED_FIELDS = (*HASHED_FIELDS, "hash")


def export_line(event: RecordedEvent) -> dict:
    """One exported event: everything its hash covers, plus the hash (at: canonical form + "Z")."""
    line = {name: getattr(event, name) for name in EXPORTED_FIELDS}
    line["at"] = canonical_at(event.at) + "Z"
    return line


def export_between(session: Session, start: datetime, end: datetime,
                   instance_id: str | None = None) -> Iterator[dict]:
    """Events with start <= at < end (of one instance, if given), oldest first, as export lines."""
    return map(export_line, history_between(session, start, end, instance_id))
