"""A worker renews its jobs' short locks while it runs them (heartbeats): a job that takes longer than
the lock stays its own, and renewals never touch a job another worker holds."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select, update

from engine.deployment.deploy import deploy
from engine.handlers import registry
from engine.identity.users import Actor
from engine.instances.commands import get_instance, start_instance
from engine.jobs.queue import DEFAULT_LOCK, acquire_jobs, claim_token, renew_job_locks
from engine.store.models import Job, utcnow
from engine.worker.worker import Worker
from helpers import bpmn_document, flow

ADMIN = Actor("admin", frozenset({"admin"}))
LOCK = timedelta(seconds=0.6)
HANDLER_S = 2.0
CALLS: list[float] = []

SLOW_ASYNC = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:serviceTask id="call" camunda:class="slow_beat" camunda:asyncBefore="true"/>'
    '<bpmn:endEvent id="end"/>' + flow("f1", "start", "call") + flow("f2", "call", "end"), "beat")


@registry.register("slow_beat")
def slow_beat(inputs, context):
    CALLS.append(time.monotonic())
    time.sleep(HANDLER_S)
    return {"done": True}


def test_the_default_lock_is_short():
    assert DEFAULT_LOCK <= timedelta(seconds=30)


def test_a_job_longer_than_its_lock_stays_with_its_live_worker(sessions):
    CALLS.clear()
    with sessions() as session:
        deploy(session, {"b.bpmn": SLOW_ASYNC}, None, "admin")
        instance_id = start_instance(session, ADMIN, definition_key="beat").id
        session.commit()
    first = threading.Thread(target=Worker(sessions, lock=LOCK, worker_id="one").run_once)
    first.start()
    while not CALLS:
        time.sleep(0.01)
    other, taken = Worker(sessions, lock=LOCK, worker_id="two"), 0
    deadline = CALLS[0] + HANDLER_S - 0.2
    while time.monotonic() < deadline:  # three lock lengths and more: only heartbeats keep the job
        taken += other.run_once()
        time.sleep(0.05)
    first.join(10)
    assert (taken, len(CALLS)) == (0, 1)
    with sessions() as session:
        assert get_instance(session, instance_id).variables["done"] is True


def test_renewal_extends_only_the_tokens_own_jobs(sessions):
    with sessions() as session:
        deploy(session, {"b.bpmn": SLOW_ASYNC}, None, "admin")
        for _ in range(2):
            start_instance(session, ADMIN, definition_key="beat")
        session.commit()
        mine = claim_token("one")
        [my_job] = acquire_jobs(session, "one", limit=1, lock=LOCK, token=mine)
        [their_job] = acquire_jobs(session, "two", limit=1, lock=LOCK)
        past = utcnow() - timedelta(seconds=1)
        session.execute(update(Job).values(locked_until=past))
        assert renew_job_locks(session, mine, timedelta(seconds=30)) == 1
        session.commit()
        locks = dict(session.execute(select(Job.id, Job.locked_until)).all())
    assert locks[my_job] > utcnow() + timedelta(seconds=25) and locks[their_job] == past
