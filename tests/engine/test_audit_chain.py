"""The history's hash chain: every event links to the one before, the canonical form survives both
databases, and tampering with rows (changed, deleted, reordered) is reported at the first broken seq."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import delete, insert, update

from engine.store.db import open_database
from engine.deployment.deploy import deploy
from engine.history.recorder import HistoryRecorder, instance_history
from engine.history.chain import event_hash
from engine.history.verify import verify_all_histories, verify_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.store.models import HistoryEvent, ProcessInstance
from engine.store.schema import alembic_config
from engine.tasks.user_tasks import complete_task
from helpers import bpmn_document, flow, one_script_process, script_task, user_task_process

ADMIN = Actor("admin", frozenset({"admin"}))
ALICE = Actor("alice", frozenset({"finance"}))
EVENTS = HistoryEvent.__table__


def started(session, files: dict[str, bytes], key: str, variables: dict | None = None):
    deploy(session, files, None, "admin")
    row = start_instance(session, ADMIN, definition_key=key, variables=variables or {})
    session.commit()
    return row


def events_of(session, instance_id: str) -> list[HistoryEvent]:
    session.expire_all()
    return instance_history(session, instance_id)


def by_type(events, kind: str) -> list[HistoryEvent]:
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

def tamper(sessions, *statements) -> None:
    with sessions() as session:
        for statement in statements:
            session.execute(statement)
        session.commit()


def first_broken(sessions, instance_id: str) -> dict:
    with sessions() as session:
        report = verify_history(session, instance_id)
        assert not report.valid
        return report.first_broken


def at_seq(instance_id: str, seq: int):
    return (EVENTS.c.instance_id == instance_id) & (EVENTS.c.seq == seq)


def test_a_changed_event_is_reported_at_its_own_seq(sessions, finished):
    tamper(sessions, update(EVENTS).where(at_seq(finished, 5)).values(data={"type": "forged"}))
    assert first_broken(sessions, finished) == {
        "seq": 5, "reason": "the event's content does not match its hash (it was changed)"}


def test_a_changed_actor_or_time_is_reported_too(sessions, finished):
    tamper(sessions, update(EVENTS).where(at_seq(finished, 3)).values(actor="mallory"))
    assert first_broken(sessions, finished)["seq"] == 3


def test_a_changed_event_with_a_recomputed_hash_breaks_the_next_link(sessions, finished):
    with sessions() as session:
        event = events_of(session, finished)[3]
        forged = {c.name: getattr(event, c.name) for c in EVENTS.columns if c.name != "id"}
        forged["actor"] = "mallory"
        forged_hash = event_hash(forged)
    tamper(sessions, update(EVENTS).where(at_seq(finished, 4)).values(actor="mallory", hash=forged_hash))
    broken = first_broken(sessions, finished)
    assert broken["seq"] == 5 and "does not link to event 4" in broken["reason"]


def test_a_deleted_middle_event_is_reported_missing(sessions, finished):
    tamper(sessions, delete(EVENTS).where(at_seq(finished, 6)))
    assert first_broken(sessions, finished) == {"seq": 6, "reason": "event 6 is missing (the next event is 7)"}


def test_deleting_the_newest_event_is_detected(sessions, finished):
    with sessions() as session:
        last = get_instance(session, finished).history_seq
    tamper(sessions, delete(EVENTS).where(at_seq(finished, last)))
    broken = first_broken(sessions, finished)
    assert broken["seq"] == last and broken["reason"].startswith(f"event {last} is missing")


def test_deleting_the_newest_event_and_lowering_the_count_still_shows(sessions, finished):
    with sessions() as session:
        last = get_instance(session, finished).history_seq
    tamper(sessions, delete(EVENTS).where(at_seq(finished, last)),
           update(ProcessInstance).where(ProcessInstance.id == finished).values(history_seq=last - 1))
    broken = first_broken(sessions, finished)
    assert broken["seq"] == last - 1 and "not the one the instance recorded last" in broken["reason"]


def test_reordered_events_are_reported_at_the_first_seq_out_of_place(sessions, finished):
    tamper(sessions, update(EVENTS).where(at_seq(finished, 3)).values(seq=-1),
           update(EVENTS).where(at_seq(finished, 4)).values(seq=3),
           update(EVENTS).where(at_seq(finished, -1)).values(seq=4))
    assert first_broken(sessions, finished)["seq"] == 3


def test_verifying_every_instance_names_the_broken_ones(sessions, finished):
    with sessions() as session:
        intact = started(session, {"q.bpmn": one_script_process("x = 1", "q")}, "q").id
    tamper(sessions, delete(EVENTS).where(at_seq(finished, 2)))
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
