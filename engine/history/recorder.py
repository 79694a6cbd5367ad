"""The audit trail of an instance: events are collected while a command runs, then written at once."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.history.chain import chain_rows
from engine.history.packing import stored_batches
from engine.store.models import HistoryBatch, ProcessInstance, utcnow
from engine.store.row_writes import write_rows
from engine.history.sensitive import SensitiveNames, mask_event_data
from engine.history.variable_sources import needs_sources, track_sources


# The actor of what the engine does by itself (scripts, gateways, events, ending an instance).
ENGINE = "engine"


@dataclass
class PendingEvent:
    type: str
    at: datetime
    activity_id: str | None = None
    activity_name: str | None = None
    actor: str | None = None
    data: dict | None = None


@dataclass
class HistoryRecorder:
    """Buffers history events of one instance during one command.

    Variables in event data are taken as plain JSON at once (a snapshot: later changes to them do
    not reach the history), with the values of sensitive ones masked (see engine.history.sensitive).
    """

    events: list[PendingEvent] = field(default_factory=list)
    sensitive: SensitiveNames = field(default_factory=SensitiveNames)
    packed: list[dict] = field(default_factory=list)  # rows of prepared events, not yet written

    def record(self, type: str, *, activity_id: str | None = None, activity_name: str | None = None,
               actor: str | None = None, data: dict[str, Any] | None = None) -> None:
        if data is not None:
            data = mask_event_data(data, self.sensitive)
        self.events.append(PendingEvent(type, utcnow(), activity_id, activity_name, actor or ENGINE, data))

    def prepare(self, instance: ProcessInstance) -> None:
        """Number, chain and pack the events recorded so far after the instance's last one: all the work
        of writing them but the writing, so that a caller can do it before taking the write lock. The
        instance row gets its new `history_seq`, `history_head` and `variable_sources`; the chain
        continues from the head on the row, never reading an event (see engine.history.chain), and the
        events go into one packed row (engine.history.packing; several for more than BATCH_EVENTS)."""
        if not self.events:
            return
        first = instance.history_seq + 1
        rows = [dict(instance_id=instance.id, seq=first + n, at=e.at, type=e.type,
                     activity_id=e.activity_id, activity_name=e.activity_name, actor=e.actor, data=e.data)
                for n, e in enumerate(self.events)]
        if needs_sources(rows):
            sources = dict(instance.variable_sources or {})
            if track_sources(rows, sources):
                instance.variable_sources = sources
        prev_hash = instance.history_head
        instance.history_head = chain_rows(rows, prev_hash)
        instance.history_seq = first + len(self.events) - 1
        self.packed += stored_batches(instance.id, rows, prev_hash)
        self.events.clear()

    def flush(self, session: Session, instance: ProcessInstance) -> None:
        """Write the events recorded so far (prepared, if they were not yet) after the instance's last one;
        the caller holds its lock.

        The instance row is written first (engine.store.row_writes, with the command's task rows), in the
        same statement that writes its state, so that the events' foreign key holds and no second UPDATE
        follows."""
        self.prepare(instance)
        if not self.packed:
            return
        write_rows(session)
        session.flush()
        # Core: one statement (an executemany for a long command's several rows), no ORM objects.
        session.execute(_INSERT_BATCH, self.packed)
        self.packed = []


_INSERT_BATCH = insert(HistoryBatch.__table__)
