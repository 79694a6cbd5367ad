"""History read back from its packed batches: one instance's events in seq order, and every instance's events
within a time range in the order they happened, even when instances ran at the same time."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.deployment.deploy import deploy
from engine.history import reading
from engine.history.packing import BATCH_EVENTS
from engine.history.reading import history_between, instance_history
from engine.history.recorder import HistoryRecorder
from engine.history.verify import verify_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, start_instance
from helpers import loop_process, one_script_process

ADMIN = Actor("admin", frozenset({"admin"}))
T0 = datetime(2020, 1, 1, 12, 0)


def record_at(session, instance_id: str, seconds: list[int]) -> None:
    """Events named by their second after T0, recorded by one command (one batch)."""
    row = get_instance(session, instance_id)
    recorder = HistoryRecorder()
    for second in seconds:
        recorder.record(f"at_{second}")
        recorder.events[-1].at = T0 + timedelta(seconds=second)
    recorder.flush(session, row)
    session.commit()


def test_instances_running_at_the_same_time_export_in_time_order(sessions, monkeypatch):
    monkeypatch.setattr(reading, "ROWS_PER_FETCH", 1)
    with sessions() as session:
        deploy(session, {"p.bpmn": one_script_process("x = 1")}, None, "admin")
        first, second = (start_instance(session, ADMIN, definition_key="p").id for _ in range(2))
        session.commit()
        record_at(session, first, [1, 3, 5])
        record_at(session, second, [2, 4])
        record_at(session, first, [6, 9])
        record_at(session, second, [7, 8])
        whole = [(e.type, e.instance_id) for e in history_between(session, T0, T0 + timedelta(minutes=1))]
        assert whole == [("at_1", first), ("at_2", second), ("at_3", first), ("at_4", second), ("at_5", first),
                         ("at_6", first), ("at_7", second), ("at_8", second), ("at_9", first)]
        middle = [e.type for e in history_between(session, T0 + timedelta(seconds=2), T0 + timedelta(seconds=7))]
        assert middle == ["at_2", "at_3", "at_4", "at_5", "at_6"]
        only_second = [e.type for e in history_between(session, T0, T0 + timedelta(minutes=1), second)]
        assert only_second == ["at_2", "at_4", "at_7", "at_8"]
        assert verify_history(session, first).valid and verify_history(session, second).valid


def test_a_long_command_is_stored_in_several_batches_that_read_as_one_history(sessions):
    iterations = BATCH_EVENTS  # a few events each: several batches
    with sessions() as session:
        deploy(session, {"loop.bpmn": loop_process(iterations, "loop")}, None, "admin")
        row = start_instance(session, ADMIN, definition_key="loop", variables={"i": 0})
        session.commit()
        events = instance_history(session, row.id)
        assert [e.seq for e in events] == list(range(1, row.history_seq + 1)) and len(events) > 2 * BATCH_EVENTS
        assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:]))
        stored = reading.BATCHES
        batches = session.execute(select(stored.c.first_seq, stored.c.last_seq)
                                  .where(stored.c.instance_id == row.id)).all()
        assert len(batches) >= 3 and max(last - first + 1 for first, last in batches) == BATCH_EVENTS
        assert verify_history(session, row.id).valid
