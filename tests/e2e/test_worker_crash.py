"""A `fuse worker` killed with SIGKILL in the middle of a job loses nothing and runs nothing twice in
effect: while it lives, its heartbeats keep the job locked however long the job takes; once it is
dead, the renewals stop, the short lock runs out, another worker takes the job, and the instance goes
on from its last committed state. Real worker processes, on SQLite and PostgreSQL.

The workers run with a job lock of LOCK_S seconds (FUSE_JOB_LOCK_SECONDS, default 30) to keep the test
short; nothing in the database is changed by hand.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from e2e.slow_handler import LOG, SLEEP
from e2e.support import LIBC, _die_with_parent
from engine.store.db import open_database
from engine.deployment.deploy import deploy
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, start_instance
from engine.store.models import Job, utcnow
from helpers import bpmn_document, flow

FUSE = Path(sys.executable).with_name("fuse")
TESTS = Path(__file__).resolve().parents[1]
ADMIN = Actor("admin", frozenset({"admin"}))
WAIT_S = 30
POLL_S = 0.05
# A job's handler sleeps this long in the first worker: long enough to be killed in the middle of it.
FOREVER_S = 120
# The workers' job lock (an operator setting); they renew it every third of it.
LOCK_S = 2

ASYNC_CHARGE = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:serviceTask id="charge" camunda:class="slow" '
    'camunda:asyncBefore="true"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "charge") + flow("f2", "charge", "end"), "async_charge")

TIMED_CHARGE = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT0.5S</bpmn:timeDuration></bpmn:timerEventDefinition>'
    '</bpmn:intermediateCatchEvent><bpmn:serviceTask id="charge" camunda:class="slow"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "wait") + flow("f2", "wait", "charge") + flow("f3", "charge", "end"), "timed_charge")


class WorkerProcess:
    """One `fuse worker` on the test database, with the slow handler loaded from tests/e2e."""

    def __init__(self, database_url: str, workdir: Path, name: str, handler_sleep: float):
        self.workdir, self.name = workdir, name
        # The project before tests/: tests/engine would otherwise shadow the engine package (as a namespace
        # package whose __init__, which wires the save steps, never runs).
        pythonpath = os.pathsep.join(filter(None, [str(TESTS.parent), str(TESTS), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "FUSE_DATABASE_URL": database_url, "FUSE_HANDLERS": "slow=e2e.slow_handler:slow",
               "PYTHONPATH": pythonpath, LOG: str(workdir / "handler.log"), SLEEP: str(handler_sleep),
               "PYTHONUNBUFFERED": "1", "FUSE_JOB_LOCK_SECONDS": str(LOCK_S)}
        with open(workdir / f"{name}.out", "wb") as out:
            self.process = subprocess.Popen([str(FUSE), "worker", "--poll", "0.05"], env=env, cwd=workdir,
                                            stdout=out, stderr=subprocess.STDOUT,
                                            preexec_fn=_die_with_parent if LIBC else None)

    def output(self) -> str:
        return (self.workdir / f"{self.name}.out").read_text(errors="replace")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.output()}", pytrace=False)

    def kill(self) -> None:
        """SIGKILL: a crash, nothing gets to roll back, unlock or clean up."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        assert self.process.returncode == -signal.SIGKILL


@pytest.fixture
def workers(database_url, tmp_path):
    """Starts `fuse worker` processes by name (handler_sleep: seconds each handler call takes); all are
    killed at the end."""
    started: list[WorkerProcess] = []

    def start(name: str, handler_sleep: float = 0.0) -> WorkerProcess:
        worker = WorkerProcess(database_url, tmp_path, name, handler_sleep)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def db(database_url):
    factory = open_database(database_url)
    yield factory
    factory.kw["bind"].dispose()


def handler_starts(tmp_path: Path) -> list[str]:
    log = tmp_path / "handler.log"
    return log.read_text().splitlines() if log.exists() else []


def wait_for(what: str, condition, worker: WorkerProcess) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        worker.check_alive()
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {WAIT_S} s; {worker.name} said:\n{worker.output()}",
                        pytrace=False)
        time.sleep(POLL_S)


def start_one(db, model: bytes, key: str) -> str:
    with db() as session:
        deploy(session, {f"{key}.bpmn": model}, None, "admin")
        instance_id = start_instance(session, ADMIN, definition_key=key).id
        session.commit()
    return instance_id


def snapshot(db, instance_id: str) -> dict:
    """What is committed: the instance, its jobs and its history."""
    with db() as session:
        row = get_instance(session, instance_id)
        jobs = session.scalars(select(Job).where(Job.instance_id == instance_id)).all()
        return {"state": row.state, "variables": row.variables,
                "activities": [a["activity_id"] for a in row.active_activities],
                "jobs": [(j.kind, j.activity_id, j.locked_by, j.locked_until) for j in jobs],
                "history": [(e.type, e.activity_id) for e in instance_history(session, instance_id)]}


def crash_in_the_middle_of_the_job(db, workers, tmp_path, instance_id: str, waiting_at: str):
    """Worker one starts the job's handler; worker two, running beside it, leaves the job alone for
    several lock lengths (heartbeats); then worker one is SIGKILLed. Returns the committed state after
    the kill, worker two, and when the kill happened."""
    before = snapshot(db, instance_id)
    assert before["state"] == "active" and before["activities"] == [waiting_at]
    first = workers("worker-1", handler_sleep=FOREVER_S)
    wait_for("the handler's start", lambda: len(handler_starts(tmp_path)) == 1, first)
    second = workers("worker-2")
    wait_for("worker two's start", lambda: "worker running" in second.output(), second)
    time.sleep(LOCK_S * 2.5)  # the lock ran out twice over but for worker one's renewals
    first.check_alive()
    second.check_alive()
    assert len(handler_starts(tmp_path)) == 1
    first.kill()
    killed_at = time.monotonic()
    after = snapshot(db, instance_id)
    # The instance is where it was last committed: same activity, same variables, same history (unless
    # worker two already took over, which the history check below would show).
    assert {k: after[k] for k in ("state", "activities", "variables", "history")} == \
           {k: before[k] for k in ("state", "activities", "variables", "history")}
    # The job is still there, locked by the dead worker until its short lock runs out.
    [(kind, activity, locked_by, locked_until)] = after["jobs"]
    assert activity == waiting_at and locked_by and locked_until <= utcnow() + timedelta(seconds=LOCK_S)
    return after, second, killed_at


def take_over(db, second: WorkerProcess, instance_id: str, killed_at: float) -> dict:
    """Worker two takes the job once the dead worker's lock ran out by itself, and finishes the instance."""
    wait_for("the instance's completion", lambda: snapshot(db, instance_id)["state"] == "completed", second)
    # About one lock length after the crash (plus polling and a loaded machine), not minutes.
    assert time.monotonic() - killed_at < LOCK_S + 10
    return snapshot(db, instance_id)


def assert_ran_once_in_effect(done: dict, tmp_path: Path, job_kind_activity: str) -> None:
    history = done["history"]
    # The handler was started twice (the first call died with its worker) but took effect once.
    assert len(handler_starts(tmp_path)) == 2
    assert done["variables"]["charges"] == 1
    assert history.count(("handler_called", "charge")) == 1
    assert history.count(("activity_completed", "charge")) == 1
    assert history.count(("job_executed", job_kind_activity)) == 1
    assert history.count(("instance_completed", None)) == 1
    assert done["jobs"] == [] and done["activities"] == []


def test_a_killed_workers_async_job_is_taken_over_and_runs_once_in_effect(db, workers, tmp_path):
    instance_id = start_one(db, ASYNC_CHARGE, "async_charge")
    after_crash, second, killed_at = crash_in_the_middle_of_the_job(db, workers, tmp_path, instance_id, "charge")
    assert after_crash["jobs"][0][0] == "continue"
    done = take_over(db, second, instance_id, killed_at)
    assert_ran_once_in_effect(done, tmp_path, "charge")


def test_a_timer_whose_worker_was_killed_is_fired_by_the_next_worker(db, workers, tmp_path):
    instance_id = start_one(db, TIMED_CHARGE, "timed_charge")
    # Worker one fires the timer and dies in the handler after it, in the same transaction.
    after_crash, second, killed_at = crash_in_the_middle_of_the_job(db, workers, tmp_path, instance_id, "wait")
    assert after_crash["jobs"][0][0] == "timer"
    done = take_over(db, second, instance_id, killed_at)
    assert_ran_once_in_effect(done, tmp_path, "wait")
    assert done["history"].count(("activity_completed", "wait")) == 1
