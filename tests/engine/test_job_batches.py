"""Due jobs run many to a transaction: each run in memory, then all claimed and written, one commit. What does
not fit (a second job of the same instance, an instance somebody changed meanwhile, a batch that fails) runs
alone afterwards, so every job still runs once and each instance has one writer at a time."""
from __future__ import annotations

from sqlalchemy import event

from engine.deployment.deploy import deploy
from engine.handlers import registry
from engine.history.verify import verify_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, history, start_instance
from engine.worker import job_batch
from engine.worker.worker import Worker
from helpers import bpmn_document, flow
from meddling import Meddler

ADMIN = Actor("admin", frozenset({"admin"}))
MEDDLER = registry.register("batch_meddle")(Meddler())


def async_model(key: str, task: str) -> bytes:
    return bpmn_document('<bpmn:startEvent id="start"/>' + task + '<bpmn:endEvent id="end"/>'
                         + flow("f1", "start", "work") + flow("f2", "work", "end"), key)


SCRIPT = ('<bpmn:scriptTask id="work" camunda:asyncBefore="true" scriptFormat="python">'
          '<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>')
MEDDLED = '<bpmn:serviceTask id="work" camunda:asyncBefore="true" camunda:class="batch_meddle"/>'
TWO_ASYNC = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
    '<bpmn:scriptTask id="a" camunda:asyncBefore="true" scriptFormat="python"><bpmn:script>a = 1</bpmn:script>'
    '</bpmn:scriptTask><bpmn:scriptTask id="b" camunda:asyncBefore="true" scriptFormat="python">'
    '<bpmn:script>b = 2</bpmn:script></bpmn:scriptTask><bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "fork") + flow("f2", "fork", "a") + flow("f3", "fork", "b") + flow("f4", "a", "join")
    + flow("f5", "b", "join") + flow("f6", "join", "end"), "two")


def started(sessions, files: dict, key: str, count: int) -> list[str]:
    with sessions() as session:
        deploy(session, files, None, "admin")
        ids = [start_instance(session, ADMIN, definition_key=key).id for _ in range(count)]
        session.commit()
    return ids


def commits_while(sessions, action) -> int:
    counted = []
    bind = sessions.kw["bind"]

    def commit(_conn):
        counted.append(1)
    event.listen(bind, "commit", commit)
    try:
        action()
    finally:
        event.remove(bind, "commit", commit)
    return len(counted)


def executed(sessions, instance_id: str) -> int:
    with sessions() as session:
        return [e.type for e in history(session, instance_id)].count("job_executed")


def test_a_batch_of_jobs_is_written_in_one_transaction(sessions):
    ids = started(sessions, {"s.bpmn": async_model("s", SCRIPT)}, "s", 20)
    worker = Worker(sessions, worker_id="test")
    # One commit to acquire the jobs, one for all twenty.
    assert commits_while(sessions, worker.run_once) == 2
    with sessions() as session:
        for instance_id in ids:
            assert get_instance(session, instance_id).state == "completed"
            assert verify_history(session, instance_id).valid
    assert all(executed(sessions, instance_id) == 1 for instance_id in ids)


def test_a_second_job_of_an_instance_in_the_batch_runs_alone_after_it(sessions):
    [instance_id] = started(sessions, {"two.bpmn": TWO_ASYNC}, "two", 1)
    assert Worker(sessions, worker_id="test").run_once() == 2
    with sessions() as session:
        row = get_instance(session, instance_id)
        assert row.state == "completed" and row.variables["a"] == 1 and row.variables["b"] == 2
        assert verify_history(session, instance_id).valid
    assert executed(sessions, instance_id) == 2


def test_an_instance_changed_while_its_batch_ran_is_not_overwritten_and_its_job_runs_again(sessions):
    others = started(sessions, {"s.bpmn": async_model("s", SCRIPT)}, "s", 3)
    [meddled] = started(sessions, {"m.bpmn": async_model("m", MEDDLED)}, "m", 1)
    MEDDLER.arm(sessions, meddled, 1)
    assert Worker(sessions, worker_id="test").run_once() == 4
    assert MEDDLER.calls == 2  # the batch's run was dropped when its claim found the instance changed
    with sessions() as session:
        row = get_instance(session, meddled)
        assert row.state == "completed" and row.variables["meddled"] == 1 and row.variables["handled"] == 2
        assert all(get_instance(session, other).state == "completed" for other in others)
    assert executed(sessions, meddled) == 1


def test_a_batch_that_fails_writes_nothing_and_its_jobs_run_one_by_one(sessions, monkeypatch):
    ids = started(sessions, {"s.bpmn": async_model("s", SCRIPT)}, "s", 5)
    real, calls = job_batch.finish_save, []

    def failing(session, live):
        calls.append(live.row.id)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        real(session, live)
    monkeypatch.setattr(job_batch, "finish_save", failing)
    assert Worker(sessions, worker_id="test").run_once() == 5
    with sessions() as session:
        assert all(get_instance(session, instance_id).state == "completed" for instance_id in ids)
    # The two written before the failure were rolled back with the batch: every job ran (and was recorded) once.
    assert all(executed(sessions, instance_id) == 1 for instance_id in ids)
