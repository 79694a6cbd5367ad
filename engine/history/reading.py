"""Reading history back: an instance's events in order, or every instance's within a time range, unpacked from
their batches (engine.history.packing) a few rows at a time."""
from __future__ import annotations

import heapq
from datetime import datetime
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.history.packing import RecordedEvent, UnreadableBatch, unpack
from engine.store.models import HistoryBatch

BATCHES = HistoryBatch.__table__
# Rows fetched at a time: with up to BATCH_EVENTS events each, a few thousand events in memory at most.
ROWS_PER_FETCH = 20
# What an event that cannot be read is shown as (its batch was changed outside Fuse: verify names it).
UNREADABLE = "history_unreadable"


def batch_events(row) -> list[RecordedEvent]:
    """The events of one stored batch; one UNREADABLE event in their place if it does not unpack."""
    try:
        return unpack(row.instance_id, row.first_at, row.prev_hash, row.events)
    except UnreadableBatch as problem:
        return [RecordedEvent(row.instance_id, row.first_seq, row.first_at, UNREADABLE, None, None, None,
                              {"first_seq": row.first_seq, "last_seq": row.last_seq, "problem": str(problem)},
                              row.prev_hash, None)]


def iter_instance_history(session: Session, instance_id: str) -> Iterator[RecordedEvent]:
    """Every event of an instance, oldest first, its batches read a few rows at a time."""
    for row in session.execute(select(BATCHES).where(BATCHES.c.instance_id == instance_id)
                               .order_by(BATCHES.c.first_seq).execution_options(yield_per=ROWS_PER_FETCH)):
        yield from batch_events(row)


def instance_history(session: Session, instance_id: str) -> list[RecordedEvent]:
    """Every event of an instance, oldest first."""
    return list(iter_instance_history(session, instance_id))


def history_between(session: Session, start: datetime, end: datetime,
                    instance_id: str | None = None) -> Iterator[RecordedEvent]:
    """Events with start <= at < end (of one instance, if given), in the order they happened.

    Batches overlapping the range are read in the order of their first event; an event is let out once no
    batch still to come can hold an earlier one (every later batch starts at or after the one just read),
    so batches of instances that ran at the same time interleave correctly, holding only those in memory.
    """
    query = select(BATCHES).where(BATCHES.c.last_at >= start, BATCHES.c.first_at < end)
    if instance_id:
        query = query.where(BATCHES.c.instance_id == instance_id)
    query = query.order_by(BATCHES.c.first_at, BATCHES.c.id).execution_options(yield_per=ROWS_PER_FETCH)
    waiting: list[tuple] = []  # (at, batch order, position in it, event): ties keep the order they were written
    for order, row in enumerate(session.execute(query)):
        while waiting and waiting[0][0] <= row.first_at:
            yield heapq.heappop(waiting)[3]
        for position, event in enumerate(batch_events(row)):
            if start <= event.at < end:
                heapq.heappush(waiting, (event.at, order, position, event))
    while waiting:
        yield heapq.heappop(waiting)[3]
