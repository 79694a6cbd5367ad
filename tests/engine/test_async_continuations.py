"""asyncBefore / asyncAfter: the instance is committed at the boundary and a worker carries on."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from engine.deployment.deploy import deploy
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.jobs.queue import acquire_jobs
from engine.store.models import Job
from engine.worker.worker import Worker
from helpers import bpmn_document, flow

ADMIN = Actor("admin", frozenset({"admin"}))


def model(attribute: str) -> bytes:
    return bpmn_document(
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:scriptTask id="work" scriptFormat="python" {attribute}><bpmn:script>done = True</bpmn:script>'
        '</bpmn:scriptTask><bpmn:userTask id="check" camunda:asyncBefore="true"/><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "work") + flow("f2", "work", "check") + flow("f3", "check", "end"), "async")


def jobs(session) -> int:
    return session.scalar(select(func.count()).select_from(Job))


def test_async_before_commits_first_and_the_worker_runs_the_task(sessions):
    with sessions() as session:
        deploy(session, {"a.bpmn": model('camunda:asyncBefore="true"')}, None, "admin")
        instance = start_instance(session, ADMIN, definition_key="async")
        session.commit()
        assert instance.state == "active"
        assert [a["activity_id"] for a in instance.active_activities] == ["work"]
        assert "done" not in instance.variables and jobs(session) == 1
    worker = Worker(sessions)
    assert worker.run_once() == 1
    with sessions() as session:
        after = get_instance(session, instance.id)
        assert after.variables["done"] is True
        # The user task has asyncBefore too: no task to work on until its job ran.
        assert open_tasks(session, instance.id) == [] and jobs(session) == 1
    assert worker.run_once() == 1
    with sessions() as session:
        assert [t.activity_id for t in open_tasks(session, instance.id)] == ["check"]
        types = [e.type for e in instance_history(session, instance.id)]
        assert types.count("job_executed") == 2 and jobs(session) == 0


def test_async_after_holds_what_follows_until_the_worker_runs(sessions):
    with sessions() as session:
        deploy(session, {"a.bpmn": model('camunda:asyncAfter="true"')}, None, "admin")
        instance = start_instance(session, ADMIN, definition_key="async")
        session.commit()
        assert instance.variables["done"] is True
        assert [a["activity_id"] for a in instance.active_activities] == ["check"]
        assert jobs(session) == 1
    Worker(sessions).run_once()
    Worker(sessions).run_once()
    with sessions() as session:
        assert [t.activity_id for t in open_tasks(session, instance.id)] == ["check"]


def test_two_workers_never_take_the_same_job(sessions):
    with sessions() as session:
        deploy(session, {"a.bpmn": model('camunda:asyncBefore="true"')}, None, "admin")
        for _ in range(20):
            start_instance(session, ADMIN, definition_key="async")
        session.commit()
    taken: list[list[str]] = []
    barrier = threading.Barrier(2)

    def take(name):
        with sessions() as session:
            barrier.wait()
            taken.append(acquire_jobs(session, name, limit=15))

    threads = [threading.Thread(target=take, args=(n,)) for n in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first, second = taken
    assert not set(first) & set(second)
    # On SQLite the slower worker may find the faster one's candidates taken and get nothing this
    # round (no SKIP LOCKED there); the rest are still free for the next fetch, none is lost.
    with sessions() as session:
        rest = acquire_jobs(session, "w3", limit=20)
    assert not set(rest) & (set(first) | set(second))
    assert len(first) + len(second) + len(rest) == 20


def test_suspended_instances_jobs_wait_and_terminated_ones_go(sessions):
    from engine.instances.commands import resume_instance, suspend_instance, terminate_instance

    with sessions() as session:
        deploy(session, {"a.bpmn": model('camunda:asyncBefore="true"')}, None, "admin")
        waiting = start_instance(session, ADMIN, definition_key="async").id
        ended = start_instance(session, ADMIN, definition_key="async").id
        session.commit()
        suspend_instance(session, waiting, ADMIN)
        terminate_instance(session, ended, ADMIN)
        session.commit()
        assert jobs(session) == 1
    assert Worker(sessions).run_once() == 0
    with sessions() as session:
        resume_instance(session, waiting, ADMIN)
        session.commit()
    assert Worker(sessions).run_once() == 1


def test_the_older_async_spelling_runs_the_task_in_a_job_without_a_warning(sessions):
    with sessions() as session:
        result = deploy(session, {"a.bpmn": model('camunda:async="true"')}, None, "admin")
        assert [w.message for w in result.warnings if "async" in w.message] == []
        instance = start_instance(session, ADMIN, definition_key="async")
        session.commit()
        assert [a["activity_id"] for a in instance.active_activities] == ["work"]
        assert "done" not in instance.variables and jobs(session) == 1
    assert Worker(sessions).run_once() == 1
    with sessions() as session:
        assert get_instance(session, instance.id).variables["done"] is True
