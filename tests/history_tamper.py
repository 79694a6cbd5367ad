"""Changing stored history as someone with write access to the database could, for tests of the hash chain:
the events are unpacked, edited as plain dicts, and packed back (engine.history.packing)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Callable

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from engine.history.packing import stored_batches
from engine.history.reading import instance_history
from engine.store.models import HistoryBatch

BATCHES = HistoryBatch.__table__


def rewrite_history(session: Session, instance_id: str, edit: Callable[[list[dict]], list[dict]]) -> None:
    """Replace the instance's stored events by `edit` of them (dicts of every field, in seq order); each
    rewritten batch links to the hash stored with the event before it, as a forger would write it."""
    events = edit([asdict(event) for event in instance_history(session, instance_id)])
    session.execute(delete(BATCHES).where(BATCHES.c.instance_id == instance_id))
    if events:
        session.execute(insert(BATCHES), stored_batches(instance_id, events, events[0]["prev_hash"]))


def change_event(session: Session, instance_id: str, seq: int, **fields) -> None:
    def changed(events: list[dict]) -> list[dict]:
        return [{**event, **fields} if event["seq"] == seq else event for event in events]
    rewrite_history(session, instance_id, changed)


def delete_event(session: Session, instance_id: str, seq: int) -> None:
    rewrite_history(session, instance_id, lambda events: [event for event in events if event["seq"] != seq])
