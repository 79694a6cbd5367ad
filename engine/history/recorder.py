"""The audit trail of an instance: events are collected while a command runs, then written at once."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.history.chain import chain_rows
from engine.store.instance_rows import write_pending_instance
from engine.store.models import HistoryEvent, ProcessInstance, utcnow
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

    def record(self, type: str, *, activity_id: str | None = None, activity_name: str | None = None,
               actor: str | None = None, data: dict[str, Any] | None = None) -> None:
        if data is not None:
            data = mask_event_data(data, self.sensitive)
        self.events.append(PendingEvent(type, utcnow(), activity_id, activity_name, actor or ENGINE, data))

    def flush(self, session: Session, instance: ProcessInstance) -> None:
        """Insert the buffered events after the instance's last one (the caller holds its lock),
        each linked to the one before it (see engine.history.chain).

        The instance row (with its new `history_seq`, `history_head` and `variable_sources`) is
        flushed first, in the same statement that writes its state, so that the events' foreign key
        holds and no second UPDATE follows; the chain continues from the head on the row, never
        reading an event.
        """
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
        instance.history_head = chain_rows(rows, instance.history_head)
        instance.history_seq = first + len(self.events) - 1
        write_pending_instance(session, instance)
        session.flush()
        # A Core executemany: one statement for all rows (history is the hot write).
        session.execute(insert(HistoryEvent.__table__), rows)
        self.events.clear()


def instance_history(session: Session, instance_id: str) -> list[HistoryEvent]:
    """Every event of an instance, oldest first."""
    return list(session.scalars(
        select(HistoryEvent).where(HistoryEvent.instance_id == instance_id).order_by(HistoryEvent.seq)))
