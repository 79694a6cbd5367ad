"""Exporting history by time range: events as JSON-ready dicts, read in batches (never all at once)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.history.chain import HASHED_FIELDS, canonical_at
from engine.store.models import HistoryEvent

BATCH = 500
EXPORTED_FIELDS = (*HASHED_FIELDS, "hash")


def export_line(event) -> dict:
    """One exported event: everything its hash covers, plus the hash (at: canonical form + "Z")."""
    line = {name: event._mapping[name] for name in EXPORTED_FIELDS}
    line["at"] = canonical_at(event.at) + "Z"
    return line


def history_between(session: Session, start: datetime, end: datetime,
                    instance_id: str | None = None) -> Iterator[dict]:
    """Events with start <= at < end (of one instance, if given), oldest first, as export lines."""
    table = HistoryEvent.__table__  # plain rows: no ORM objects to build and keep for a large export
    query = select(table).where(table.c.at >= start, table.c.at < end)
    if instance_id:
        query = query.where(table.c.instance_id == instance_id)
    query = query.order_by(table.c.at, table.c.id).execution_options(yield_per=BATCH)
    for event in session.execute(query):
        yield export_line(event)
