"""Timers that fall due at once: how fast the worker fires them all, and how late each one ends.

    .venv/bin/python bench/timers.py [--instances N] [--batch B] [--processes P] [--postgres URL]

The model is start -> intermediate timer (timeDate `${due}`) -> end. N instances (default 10,000)
are started through the engine API on a fresh database (SQLite in a temporary directory, or a
schema of its own on --postgres URL, dropped afterwards), committing every --commit-every starts,
all with the same `due` instant T, so that every timer falls due at once. T is set from a short
pilot run (a few instances of a day-long timer, left waiting) so that the setup ends before it.

Paths, each on a database of its own, each started at T:
  in-process   engine.worker.worker.Worker(sessions, batch=B).run_once() in a loop until no job is left
  processes    P `fuse worker --poll 0.05` subprocesses on the same database, started before T
               (--processes 0 leaves this path out)
  steady       --steady-instances timers falling due --steady per second from T (not at once), one Worker in
               this process polling every 10 ms (--steady 0 leaves this path out)

Printed per path: instances, setup seconds, fire seconds (T to the last instance ended), jobs per
second, and lateness p50/p99 in ms, where lateness = the instance's ended_at minus the due_at of
its timer job (both naive UTC, written by the engine). Then issue 15's targets and whether they were met:
a burst drains at >= 1,000 jobs/s; at a steady 200 per second, p99 lateness <= 1 s.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The project before tests/ (whose engine/ folder would shadow the package), then the BPMN builders the tests use.
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers import bpmn_document, flow  # noqa: E402

from stats import percentile, verdict  # bench/ is the script directory, so on sys.path

KEY = "timers"
ACTOR_NAME = "bench"
PILOT_DAYS = 1
STEADY_POLL_S = 0.01
BURST_TARGET = 1000
STEADY_TARGET_S = 1.0
MODEL = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
    '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">${due}</bpmn:timeDate></bpmn:timerEventDefinition>'
    '</bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "wait") + flow("f2", "wait", "end"), KEY)


@dataclass
class Result:
    """One path: `count` timers that fell due at `due`, fired in `seconds`, ending `lateness` late."""

    path: str
    count: int
    setup_seconds: float
    seconds: float
    lateness: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def expect(condition: bool, message: str) -> None:
    """Fail loudly: timers that silently did not fire would measure the wrong thing."""
    if not condition:
        raise SystemExit(f"benchmark check failed: {message}")


def utcnow() -> datetime:
    from engine.store.models import utcnow as engine_now

    return engine_now()


# --------------------------------------------------------------------------- databases

@contextmanager
def fresh_database(directory: str, name: str, postgres: str | None):
    """A migrated, empty database: a SQLite file in `directory`, or a new schema on `postgres`."""
    from engine.store.schema import upgrade_database

    if not postgres:
        url = f"sqlite:///{Path(directory) / f'{name}.db'}"
        upgrade_database(url)
        yield url
        return
    import psycopg

    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    plain = postgres.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        url = f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{schema}"
        upgrade_database(url)
        yield url
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


# --------------------------------------------------------------------------- setup

def start_many(sessions, count: int, due: datetime, commit_every: int, spacing: float = 0.0) -> list[str]:
    """Start `count` instances, the n-th waiting for `due` + n * `spacing` seconds, committing every
    `commit_every`; returns their ids."""
    from engine.identity.users import Actor
    from engine.instances.commands import start_instance

    actor, ids = Actor(ACTOR_NAME, frozenset({"admin"})), []
    while len(ids) < count:
        with sessions() as session:
            for _ in range(min(commit_every, count - len(ids))):
                variables = {"due": (due + timedelta(seconds=len(ids) * spacing)).isoformat() + "+00:00"}
                ids.append(start_instance(session, actor, definition_key=KEY, variables=variables).id)
            session.commit()
    return ids


def setup(url: str, count: int, commit_every: int, spacing: float = 0.0) -> tuple[object, list[str], datetime, float]:
    """Deploy, time a pilot, start `count` instances due from one instant T after the setup ends (all at T,
    or `spacing` seconds apart).

    Returns (sessions, instance ids, T, setup seconds).
    """
    from engine.store.db import open_database
    from engine.deployment.deploy import deploy

    sessions = open_database(url)
    began = time.perf_counter()
    with sessions() as session:
        deploy(session, {"timers.bpmn": MODEL}, None, ACTOR_NAME)
        session.commit()
    pilot = max(20, min(300, count // 20))
    t0 = time.perf_counter()
    start_many(sessions, pilot, utcnow() + timedelta(days=PILOT_DAYS), commit_every)
    per_instance = (time.perf_counter() - t0) / pilot
    due = utcnow() + timedelta(seconds=per_instance * count * 1.3 + 3)
    ids = start_many(sessions, count, due, commit_every, spacing)
    seconds = time.perf_counter() - began
    expect(utcnow() < due, f"the setup overran the due time {due:%H:%M:%S} (a slower machine? the pilot "
                           f"estimated {per_instance * 1000:.1f} ms per start)")
    return sessions, ids, due, seconds


def due_times(sessions, ids: list[str]) -> dict[str, datetime]:
    """The due_at of each instance's timer job (one per instance, checked)."""
    from sqlalchemy import select

    from engine.store.models import Job

    with sessions() as session:
        rows = dict(session.execute(select(Job.instance_id, Job.due_at).where(Job.kind == "timer")).all())
    missing = [i for i in ids if i not in rows]
    expect(not missing, f"{len(missing)} instances have no timer job (e.g. {missing[:3]})")
    return {i: rows[i] for i in ids}


def sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - utcnow()).total_seconds()))


# --------------------------------------------------------------------------- outcome

def lateness(sessions, due: dict[str, datetime]) -> list[float]:
    """Seconds from each timer's due time to its instance's end; every instance must have completed."""
    from sqlalchemy import select

    from engine.store.models import ProcessInstance

    with sessions() as session:  # the pilot's instances (still waiting) are left out
        rows = [r for r in session.execute(select(ProcessInstance.id, ProcessInstance.state, ProcessInstance.ended_at)
                                           .where(ProcessInstance.definition_key == KEY)) if r.id in due]
    undone = [r for r in rows if r.state != "completed"]
    expect(len(rows) == len(due) and not undone,
           f"{len(undone)} of {len(due)} instances did not complete: {[(r.id, r.state) for r in undone[:3]]}")
    return [(r.ended_at - due[r.id]).total_seconds() for r in rows]


def last_end(sessions) -> datetime:
    """When the last instance ended."""
    from sqlalchemy import func, select

    from engine.store.models import ProcessInstance

    with sessions() as session:
        return session.scalar(select(func.max(ProcessInstance.ended_at)).where(ProcessInstance.definition_key == KEY))


def open_timer_jobs(sessions) -> int:
    """Jobs due now and not yet run (the pilot's are not due)."""
    from sqlalchemy import func, select

    from engine.store.models import Job

    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Job).where(Job.due_at <= utcnow()))


# --------------------------------------------------------------------------- paths

def bench_in_process(url: str, count: int, batch: int, commit_every: int) -> Result:
    """One Worker in this process: run_once() until it finds nothing due."""
    from engine.worker.worker import Worker

    sessions, ids, due, setup_seconds = setup(url, count, commit_every)
    jobs_due = due_times(sessions, ids)
    worker = Worker(sessions, batch=batch, worker_id="bench")
    sleep_until(due + timedelta(milliseconds=1))
    began = time.perf_counter()
    while worker.run_once():
        pass
    seconds = time.perf_counter() - began
    result = Result("in-process", count, setup_seconds, seconds, lateness(sessions, jobs_due))
    sessions.kw["bind"].dispose()
    return result


def bench_steady(url: str, count: int, rate: float, batch: int, commit_every: int) -> Result:
    """One Worker in this process, polling every 10 ms while timers fall due at `rate` per second."""
    from engine.worker.worker import Worker

    sessions, ids, due, setup_seconds = setup(url, count, commit_every, spacing=1 / rate)
    jobs_due = due_times(sessions, ids)
    last_due = max(jobs_due.values())
    worker = Worker(sessions, batch=batch, worker_id="bench")
    sleep_until(due)
    began = time.perf_counter()
    while worker.run_once() or utcnow() <= last_due:
        time.sleep(STEADY_POLL_S)
    result = Result(f"steady {rate:.0f}/s", count, setup_seconds, time.perf_counter() - began,
                    lateness(sessions, jobs_due))
    sessions.kw["bind"].dispose()
    return result


def bench_processes(url: str, count: int, processes: int, commit_every: int, directory: str,
                    timeout: float) -> Result:
    """`processes` `fuse worker` subprocesses, polling before T; done when no due job is left."""
    sessions, ids, due, setup_seconds = setup(url, count, commit_every)
    jobs_due = due_times(sessions, ids)
    fuse = str(Path(sys.executable).with_name("fuse"))
    env = {**os.environ, "FUSE_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    logs = [open(Path(directory) / f"worker-{n}.log", "wb") for n in range(processes)]
    workers = [subprocess.Popen([fuse, "worker", "--poll", "0.05"], env=env, cwd=directory,
                                stdout=log, stderr=subprocess.STDOUT) for log in logs]
    try:
        sleep_until(due)
        deadline = time.monotonic() + timeout
        while open_timer_jobs(sessions) and time.monotonic() < deadline:
            expect(all(w.poll() is None for w in workers), "a fuse worker exited; see its log")
            time.sleep(0.2)
    finally:
        for process in workers:
            process.send_signal(signal.SIGINT)
        for process in workers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    seconds = (last_end(sessions) - due).total_seconds()
    result = Result(f"{processes} processes", count, setup_seconds, seconds, lateness(sessions, jobs_due))
    sessions.kw["bind"].dispose()
    return result


# --------------------------------------------------------------------------- report

def print_table(results: list[Result], database: str) -> None:
    print(f"\n{'path':<12} {'db':<10} {'instances':>9} {'setup s':>8} {'fire s':>7} {'jobs/s':>7} "
          f"{'lateness p50 ms':>15} {'p99 ms':>8}")
    for r in results:
        print(f"{r.path:<12} {database:<10} {r.count:>9} {r.setup_seconds:>8.1f} {r.seconds:>7.1f} "
              f"{r.rate:>7.0f} {percentile(r.lateness, 50) * 1000:>15.0f} "
              f"{percentile(r.lateness, 99) * 1000:>8.0f}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=10_000, metavar="N", help="timers per path")
    parser.add_argument("--batch", type=int, default=50, help="jobs the in-process worker acquires at once")
    parser.add_argument("--processes", type=int, default=2, metavar="P",
                        help="`fuse worker` processes for the second path (0: leave it out)")
    parser.add_argument("--commit-every", type=int, default=500, metavar="K", help="starts per setup commit")
    parser.add_argument("--timeout", type=float, default=900, help="seconds the worker processes get")
    parser.add_argument("--postgres", metavar="URL", help="run on a fresh schema of this PostgreSQL database")
    parser.add_argument("--steady", type=float, default=200, metavar="RATE",
                        help="timers due per second on the steady path (0: leave it out)")
    parser.add_argument("--steady-instances", type=int, default=2000, metavar="N", help="timers on the steady path")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    database = "postgresql" if args.postgres else "sqlite"
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {args.instances} timers per path on "
          f"{database}; in-process batch {args.batch}, {args.processes} worker processes", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="fuse-bench-timers-") as directory:
        with fresh_database(directory, "inprocess", args.postgres) as url:
            results.append(bench_in_process(url, args.instances, args.batch, args.commit_every))
            print_table(results[-1:], database)
        if args.processes:
            with fresh_database(directory, "processes", args.postgres) as url:
                results.append(bench_processes(url, args.instances, args.processes, args.commit_every,
                                               directory, args.timeout))
                print_table(results[-1:], database)
        if args.steady:
            with fresh_database(directory, "steady", args.postgres) as url:
                results.append(bench_steady(url, args.steady_instances, args.steady, args.batch, args.commit_every))
                print_table(results[-1:], database)
    print_table(results, database)
    print_targets(results)


def print_targets(results: list[Result]) -> None:
    burst = max((r.rate for r in results if not r.path.startswith("steady")), default=None)
    steady = [percentile(r.lateness, 99) for r in results if r.path.startswith("steady")]
    print()
    if burst is not None:
        print(f"burst: {burst:.0f} jobs/s (target >= {BURST_TARGET}): {verdict(burst >= BURST_TARGET)}")
    for p99 in steady:
        print(f"steady: p99 lateness {p99:.2f} s (target <= {STEADY_TARGET_S:.0f} s): "
              f"{verdict(p99 <= STEADY_TARGET_S)}")


if __name__ == "__main__":
    main()
