"""Checking an instance's history against its hash chain: the first event that does not fit, and why.

Events are read in seq order, a few stored batches at a time. Each must have the next seq, carry the
hash of the one before it, and hash to what it says; the newest must be the instance's `history_head`
and its seq the instance's `history_seq`. A changed event shows at its own seq (its content no longer
hashes to its hash), a deleted one at its seq (missing), reordered ones at the first seq out of place.
Inside a batch an event's link is the hash stored with the event before it, so an event whose hash was
recomputed after a change shows at the next seq, as content that no longer matches; between batches the
link is the batch's own `prev_hash`; a batch that cannot be unpacked shows at its first seq.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.history.chain import HASHED_FIELDS, event_hash
from engine.history.reading import UNREADABLE, iter_instance_history
from engine.store.lookup import get_or_raise
from engine.store.models import ProcessInstance


@dataclass
class ChainReport:
    instance_id: str
    events: int
    first_broken: dict | None = None  # {"seq": n, "reason": "..."}

    @property
    def valid(self) -> bool:
        return self.first_broken is None


def _event_problem(event, expected_seq: int, prev_hash: str | None) -> dict | None:
    if event.type == UNREADABLE and event.hash is None:
        return {"seq": event.seq, "reason": f"events {event.data['first_seq']} to {event.data['last_seq']} "
                                            "cannot be read (their stored batch was changed)"}
    if event.seq != expected_seq:
        return {"seq": expected_seq, "reason": f"event {expected_seq} is missing (the next event is {event.seq})"}
    # Data read back is plain JSON already: hashed as it comes.
    if event.hash is None or event.hash != event_hash({name: getattr(event, name) for name in HASHED_FIELDS}):
        return {"seq": event.seq, "reason": "the event's content does not match its hash (it was changed)"}
    if event.prev_hash != prev_hash:
        before = f"event {event.seq - 1}" if event.seq > 1 else "nothing (it is the first event)"
        return {"seq": event.seq, "reason": f"the event does not link to {before}: "
                                            "an event before it was changed, removed or moved"}
    return None


def _head_problem(instance: ProcessInstance, last_seq: int, head: str | None) -> dict | None:
    if instance.history_seq > last_seq:
        return {"seq": last_seq + 1, "reason": f"event {last_seq + 1} is missing: the instance recorded "
                                               f"{instance.history_seq} events, {last_seq} are left"}
    if instance.history_seq < last_seq:
        return {"seq": instance.history_seq + 1,
                "reason": f"the instance recorded {instance.history_seq} events, yet event {last_seq} exists"}
    if instance.history_head != head:
        return {"seq": last_seq, "reason": "the newest event is not the one the instance recorded last "
                                           "(it was replaced, or the instance's head hash was changed)"}
    return None


def verify_instance(session: Session, instance: ProcessInstance) -> ChainReport:
    """Check one instance's history (NotFound-free: the caller has the row)."""
    report = ChainReport(instance.id, 0)
    expected_seq, prev_hash = 1, None
    for event in iter_instance_history(session, instance.id):
        report.events += 1
        if report.first_broken is None:
            report.first_broken = _event_problem(event, expected_seq, prev_hash)
        expected_seq, prev_hash = event.seq + 1, event.hash
    if report.first_broken is None:
        report.first_broken = _head_problem(instance, expected_seq - 1, prev_hash)
    return report


def verify_history(session: Session, instance_id: str) -> ChainReport:
    """Check the history of the instance `instance_id` (NotFound if there is none)."""
    return verify_instance(session, get_or_raise(session, ProcessInstance, instance_id, "process instance"))


def verify_all_histories(session: Session) -> Iterator[ChainReport]:
    """Check every instance's history, oldest instance first."""
    ids = session.scalars(select(ProcessInstance.id).order_by(ProcessInstance.created_at, ProcessInstance.id)).all()
    for instance_id in ids:
        instance = session.get(ProcessInstance, instance_id)
        if instance is not None:
            yield verify_instance(session, instance)
