"""The history's hash chain: every event links to the one before, the canonical form survives both
databases, and tampering with rows (changed, deleted, reordered) is reported at the first broken seq."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import insert, select, update

from engine.store.db import open_database
from engine.deployment.deploy import deploy
from engine.history.reading import instance_history
from engine.history.recorder import HistoryRecorder
from engine.history.chain import event_hash
from engine.history.verify import verify_all_histories, verify_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.store.models import HistoryBatch, ProcessInstance
from engine.store.schema import alembic_config
from engine.tasks.user_tasks import complete_task
from helpers import bpmn_document, flow, one_script_process, script_task, user_task_process
from history_tamper import change_event, delete_event, rewrite_history

ADMIN = Actor("admin", frozenset({"admin"}))
ALICE = Actor("alice", frozenset({"finance"}))
BATCHES = HistoryBatch.__table__


def started(session, files: dict[str, bytes], key: str, variables: dict | None = None):
    deploy(session, files, None, "admin")
    row = start_instance(session, ADMIN, definition_key=key, variables=variables or {})
    session.commit()
    return row


def events_of(session, instance_id: str) -> list:
    session.expire_all()
    return instance_history(session, instance_id)


def by_type(events, kind: str) -> list:
    return [e for e in events if e.type == kind]


# ------------------------------------------------------------------------------------------- chain

def two_scripts() -> bytes:
    return bpmn_document('<bpmn:startEvent id="start"/>' + script_task("a", "x = 1") + script_task("b", "y = x + 1")
                         + '<bpmn:endEvent id="end"/>' + flow("f1", "start", "a") + flow("f2", "a", "b")
                         + flow("f3", "b", "end"))


@pytest.fixture
def finished(sessions):
    """A completed instance with a dozen events, committed."""
    with sessions() as session:
        return started(session, {"p.bpmn": two_scripts()}, "p").id


def test_each_event_links_to_the_one_before_and_the_instance_keeps_the_head(sessions, finished):
    with sessions() as session:
        events = events_of(session, finished)
        assert [e.seq for e in events] == list(range(1, len(events) + 1)) and len(events) >= 10
        assert events[0].prev_hash is None
        assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:]))
        for e in events:
            assert e.hash == event_hash({"instance_id": e.instance_id, "seq": e.seq, "at": e.at, "type": e.type,
                                         "activity_id": e.activity_id, "activity_name": e.activity_name,
                                         "actor": e.actor, "data": e.data, "prev_hash": e.prev_hash})
        assert get_instance(session, finished).history_head == events[-1].hash
        report = verify_history(session, finished)
        assert report.valid and report.events == len(events) and report.first_broken is None


def test_the_chain_continues_across_commands(sessions):
    with sessions() as session:
        instance_id = started(session, {"u.bpmn": user_task_process("u")}, "u").id
        waiting_head = get_instance(session, instance_id).history_head
        [task] = open_tasks(session, instance_id)
        complete_task(session, task.id, ALICE, {"approved": True})
        session.commit()
        events = events_of(session, instance_id)
        completed = by_type(events, "task_completed")[0]
        assert events[completed.seq - 2].hash == waiting_head == completed.prev_hash
        assert verify_history(session, instance_id).valid


TRICKY_VALUES = {
    "tenth": 0.1, "whole_float": 1.0, "big_float": 1e20, "tiny": 1.5e-07, "negative_zero": -0.0,
    "big_int": 2 ** 62, "unicode": "Zoë 😀 \u2028", "nested": {"b": [1, 2.5, None, True], "a": {"z": "", "y": False}},
    "when": datetime(2025, 1, 31, 9, 30), "keys order": {"b": 1, "a": 2},
}


@pytest.mark.parametrize("micro", [0, 999999])
def test_the_canonical_form_survives_the_database_round_trip(sessions, finished, micro):
    with sessions() as session:
        row = get_instance(session, finished)
        recorder = HistoryRecorder()
        recorder.record("variables_changed", actor="alice", data={"set": TRICKY_VALUES, "before": {}, "removed": []})
        recorder.events[0].at = datetime(2025, 3, 4, 5, 6, 7, micro)
        recorder.record("note", data={"duration_ms": 2.0, "count": 3})
        recorder.flush(session, row)
        session.commit()
    with sessions() as session:
        events = events_of(session, finished)
        stored = by_type(events, "variables_changed")[-1]
        assert stored.at.microsecond == micro
        assert stored.data["set"]["when"] == "2025-01-31T09:30:00" and stored.data["set"]["whole_float"] == 1.0
        report = verify_history(session, finished)
        assert report.valid, report.first_broken


# ---------------------------------------------------------------------------------------- tampering

def tamper(sessions, instance_id: str, change, *args, **fields) -> None:
    with sessions() as session:
        change(session, instance_id, *args, **fields)
        session.commit()


def first_broken(sessions, instance_id: str) -> dict:
    with sessions() as session:
        report = verify_history(session, instance_id)
        assert not report.valid
        return report.first_broken


def test_a_changed_event_is_reported_at_its_own_seq(sessions, finished):
    tamper(sessions, finished, change_event, 5, data={"type": "forged"})
    assert first_broken(sessions, finished) == {
        "seq": 5, "reason": "the event's content does not match its hash (it was changed)"}


def test_a_changed_actor_or_time_is_reported_too(sessions, finished):
    with sessions() as session:
        events = events_of(session, finished)
    tamper(sessions, finished, change_event, 3, actor="mallory")
    assert first_broken(sessions, finished)["seq"] == 3
    tamper(sessions, finished, change_event, 3, actor=events[2].actor)  # as it was: only the time differs now
    tamper(sessions, finished, change_event, 6, at=events[5].at.replace(year=events[5].at.year - 1))
    assert first_broken(sessions, finished)["seq"] == 6


def test_a_changed_event_with_a_recomputed_hash_breaks_the_next_link(sessions, finished):
    with sessions() as session:
        forged = asdict(events_of(session, finished)[3])
        forged["actor"] = "mallory"
        forged_hash = event_hash(forged)
    tamper(sessions, finished, change_event, 4, actor="mallory", hash=forged_hash)
    # Event 5 is hashed with the hash of event 4 it was recorded after: with event 4's replaced, it no longer fits.
    assert first_broken(sessions, finished) == {
        "seq": 5, "reason": "the event's content does not match its hash (it was changed)"}


def test_a_batch_linked_to_another_head_breaks_the_link(sessions):
    """Across commands the link is the batch's stored prev_hash, which its first event's hash covers: a forged
    one shows at that event."""
    with sessions() as session:
        instance_id = started(session, {"u.bpmn": user_task_process("u")}, "u").id
        [task] = open_tasks(session, instance_id)
        complete_task(session, task.id, ALICE, {"approved": True})
        session.commit()
        later = session.execute(select(BATCHES.c.first_seq).where(BATCHES.c.instance_id == instance_id)
                                .order_by(BATCHES.c.first_seq.desc())).scalars().first()
        session.execute(update(BATCHES).where(BATCHES.c.instance_id == instance_id, BATCHES.c.first_seq == later)
                        .values(prev_hash="0" * 64))
        session.commit()
    broken = first_broken(sessions, instance_id)
    assert broken == {"seq": later, "reason": "the event's content does not match its hash (it was changed)"}


def test_an_unreadable_batch_is_named_by_its_events_and_the_history_still_reads(sessions, finished):
    with sessions() as session:
        last = get_instance(session, finished).history_seq
        session.execute(update(BATCHES).where(BATCHES.c.instance_id == finished).values(events=b"not deflated"))
        session.commit()
        [shown] = events_of(session, finished)
        assert shown.type == "history_unreadable" and shown.data["last_seq"] == last
    assert first_broken(sessions, finished) == {
        "seq": 1, "reason": f"events 1 to {last} cannot be read (their stored batch was changed)"}


def test_a_deleted_middle_event_is_reported_missing(sessions, finished):
    tamper(sessions, finished, delete_event, 6)
    assert first_broken(sessions, finished) == {"seq": 6, "reason": "event 6 is missing (the next event is 7)"}


def test_deleting_the_newest_event_is_detected(sessions, finished):
    with sessions() as session:
        last = get_instance(session, finished).history_seq
    tamper(sessions, finished, delete_event, last)
    broken = first_broken(sessions, finished)
    assert broken["seq"] == last and broken["reason"].startswith(f"event {last} is missing")


def test_deleting_the_newest_event_and_lowering_the_count_still_shows(sessions, finished):
    with sessions() as session:
        last = get_instance(session, finished).history_seq
    tamper(sessions, finished, delete_event, last)
    with sessions() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == finished).values(history_seq=last - 1))
        session.commit()
    broken = first_broken(sessions, finished)
    assert broken["seq"] == last - 1 and "not the one the instance recorded last" in broken["reason"]


def test_reordered_events_are_reported_at_the_first_seq_out_of_place(sessions, finished):
    def swap_3_and_4(events):
        events[2], events[3] = {**events[3], "seq": 3}, {**events[2], "seq": 4}
        return events
    tamper(sessions, finished, rewrite_history, swap_3_and_4)
    assert first_broken(sessions, finished)["seq"] == 3


def test_verifying_every_instance_names_the_broken_ones(sessions, finished):
    with sessions() as session:
        intact = started(session, {"q.bpmn": one_script_process("x = 1", "q")}, "q").id
    tamper(sessions, finished, delete_event, 2)
    with sessions() as session:
        reports = {r.instance_id: r for r in verify_all_histories(session)}
    assert reports[intact].valid and reports[finished].first_broken["seq"] == 2


def _table(name: str, *names: str, json_columns: tuple[str, ...] = ()):
    """A table as it was at revision 0008 (the models describe the newest schema)."""
    return sa.table(name, *(sa.column(c) for c in names), *(sa.column(c, sa.JSON) for c in json_columns))


def test_events_recorded_before_the_upgrade_are_chained_by_it(database_url):
    """A database at 0008 with history in it: after the upgrade, the old events verify."""
    config = alembic_config(database_url)
    command.downgrade(config, "0008")
    factory = open_database(database_url)
    now = datetime(2024, 5, 1, 12, 0)
    with factory() as session:
        session.execute(insert(_table("deployments", "id", "name", "checksum", "created_at")),
                        {"id": "d", "name": "d", "checksum": "c", "created_at": now})
        session.execute(insert(_table("process_definitions", "id", "key", "version", "deployment_id",
                                      "resource_name", "spec_json", "executable", "created_at",
                                      json_columns=("activities",))),
                        {"id": "p:1", "key": "p", "version": 1, "deployment_id": "d", "resource_name": "p.bpmn",
                         "spec_json": "", "executable": True, "created_at": now, "activities": {}})
        session.execute(insert(_table("process_instances", "id", "definition_id", "definition_key", "state",
                                      "workflow_state", "lock_version", "history_seq", "waits_for_events",
                                      "created_at", json_columns=("variables", "active_activities"))),
                        {"id": "old", "definition_id": "p:1", "definition_key": "p", "state": "completed",
                         "workflow_state": "", "lock_version": 0, "history_seq": 3, "waits_for_events": False,
                         "created_at": now, "variables": {}, "active_activities": []})
        session.execute(insert(_table("history_events", "instance_id", "seq", "at", "type", "activity_id",
                                      "activity_name", "actor", json_columns=("data",))),
                        [{"instance_id": "old", "seq": n, "at": datetime(2024, 5, 1, 12, 0, n, 5), "type": "step",
                          "activity_id": f"a{n}", "activity_name": None, "actor": "bob", "data": {"n": n, "f": 1.5}}
                         for n in (1, 2, 3)])
        session.commit()
    command.upgrade(config, "head")
    with factory() as session:
        report = verify_history(session, "old")
        assert report.valid and report.events == 3
        assert get_instance(session, "old").history_head == events_of(session, "old")[-1].hash
    factory.kw["bind"].dispose()


def test_the_downgrade_unpacks_events_into_rows_and_the_upgrade_packs_them_again(database_url):
    factory = open_database(database_url)
    with factory() as session:
        instance_id = started(session, {"p.bpmn": two_scripts()}, "p").id
        before = [asdict(event) for event in events_of(session, instance_id)]
    factory.kw["bind"].dispose()
    config = alembic_config(database_url)
    command.downgrade(config, "0020")
    with factory() as session:
        rows = _table("history_events", "seq", "hash", "prev_hash", "instance_id")
        stored = session.execute(sa.select(rows).where(rows.c.instance_id == instance_id).order_by(rows.c.seq)).all()
        assert [(row.seq, row.hash, row.prev_hash) for row in stored] == [
            (event["seq"], event["hash"], event["prev_hash"]) for event in before]
    factory.kw["bind"].dispose()
    command.upgrade(config, "head")
    with factory() as session:
        assert [asdict(event) for event in events_of(session, instance_id)] == before
        assert verify_history(session, instance_id).valid
    factory.kw["bind"].dispose()
