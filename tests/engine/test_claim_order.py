"""A command on an instance read without its lock computes what it will write - the workflow state, the history's
chain and packing - before its first write (the claim), so that the write lock, on SQLite the whole database's,
is held for the writing alone (issue 15)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from engine.deployment.deploy import deploy
from engine.history import recorder
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.runtime import saving
from engine.tasks.user_tasks import complete_task
from engine.worker.worker import Worker
from helpers import bpmn_document, flow, user_task_process

ALICE = Actor("alice", frozenset({"finance"}))
CLAIM = "UPDATE process_instances SET lock_version"
ASYNC = bpmn_document('<bpmn:startEvent id="start"/><bpmn:scriptTask id="work" camunda:asyncBefore="true" '
                      'scriptFormat="python"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
                      '<bpmn:endEvent id="end"/>' + flow("f1", "start", "work") + flow("f2", "work", "end"), "later")


@pytest.fixture
def steps(sessions, monkeypatch):
    """The order of state dumps, history packing and statements sent, as they happen."""
    happened: list[str] = []

    def spy(name, real):
        def called(*args, **kwargs):
            happened.append(name)
            return real(*args, **kwargs)
        return called

    monkeypatch.setattr(saving, "dump_state", spy("dump_state", saving.dump_state))
    monkeypatch.setattr(recorder, "stored_batches", spy("pack", recorder.stored_batches))

    def sent(_conn, _cursor, statement, *_):
        happened.append(statement)

    bind = sessions.kw["bind"]
    event.listen(bind, "before_cursor_execute", sent)
    yield happened
    event.remove(bind, "before_cursor_execute", sent)


def _claimed_after_computing(happened: list[str]) -> None:
    claim = next(n for n, step in enumerate(happened) if step.startswith(CLAIM))
    assert {"dump_state", "pack"} <= set(happened[:claim]), happened
    assert not {"dump_state", "pack"} & set(happened[claim:]), happened


def test_a_completion_dumps_and_packs_before_it_claims_the_instance(sessions, steps):
    with sessions() as session:
        deploy(session, {"approval.bpmn": user_task_process("approval")}, None, "admin")
        row = start_instance(session, ALICE, definition_key="approval")
        [task] = open_tasks(session, row.id)
        session.commit()
    steps.clear()
    with sessions() as session:
        assert complete_task(session, task.id, ALICE, {"approved": True}).state == "completed"
        session.commit()
    _claimed_after_computing(steps)


def test_a_job_dumps_and_packs_before_it_claims_the_instance(sessions, steps):
    with sessions() as session:
        deploy(session, {"later.bpmn": ASYNC}, None, "admin")
        row = start_instance(session, ALICE, definition_key="later")
        session.commit()
    steps.clear()
    assert Worker(sessions, worker_id="test").run_once() == 1
    _claimed_after_computing(steps)
    with sessions() as session:
        assert get_instance(session, row.id).state == "completed"
