"""Throughput of Fuse against plain SpiffWorkflow, for two small processes, in one run.

    .venv/bin/python bench/throughput.py [--instances N] [--only memory engine rest] [--profile]

Processes:
  script10  start -> 10 sequential script tasks (`x = x + 1`) -> end
  usertask  start -> one user task -> end (an instance = start it, then complete the task)

Paths, each reported in instances per second and as a ratio to the in-memory figure:
  memory       plain SpiffWorkflow: CamundaParser spec, BpmnWorkflow, do_engine_steps, nothing stored
  engine       Fuse's engine on a temp SQLite file, one transaction per command (as the API does)
  rest         `fuse serve` (waitress) on a free port, driven over HTTP with one keep-alive session

Per-command latencies (p50/p99, ms) are shown for the durable paths. Everything is written into
a temporary directory; the repository is never touched. `--profile` runs the engine path for
script10 under cProfile and prints the top functions by cumulative time per instance.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the BPMN builders the tests use

from helpers import bpmn_document, flow, script_task, user_task_process  # noqa: E402

from stats import percentile  # bench/ is the script directory, so on sys.path

DEFAULT_COUNTS = {"memory": 3000, "engine": 1000, "rest": 500}
PATHS = tuple(DEFAULT_COUNTS)
ACTOR_NAME = "bench"


# --------------------------------------------------------------------------- models

@dataclass(frozen=True)
class Model:
    """A benchmark process: its key, its BPMN bytes, and whether it waits at a user task."""

    key: str
    bpmn: bytes
    user_task: bool

    @property
    def file_name(self) -> str:
        return f"{self.key}.bpmn"


def script_chain_model(length: int = 10, key: str = "script10") -> Model:
    """start -> `length` script tasks, each `x = x + 1` -> end."""
    ids = ["start", *(f"s{i}" for i in range(1, length + 1)), "end"]
    body = ('<bpmn:startEvent id="start"/>'
            + "".join(script_task(i, "x = x + 1") for i in ids[1:-1])
            + '<bpmn:endEvent id="end"/>'
            + "".join(flow(f"f{n}", a, b) for n, (a, b) in enumerate(zip(ids, ids[1:]))))
    return Model(key, bpmn_document(body, key), user_task=False)


def user_task_model(key: str = "usertask") -> Model:
    """start -> user task (no candidates: anyone may complete it) -> end."""
    return Model(key, user_task_process(key, attributes=""), user_task=True)


# --------------------------------------------------------------------------- results

@dataclass
class Result:
    """One measurement: `count` instances in `seconds`, plus per-command latencies (seconds)."""

    path: str
    model: str
    count: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def timed_loop(count: int, warmup: int, one: Callable[[dict[str, list[float]]], None]
               ) -> tuple[float, dict[str, list[float]]]:
    """Run `one` `warmup` times untimed, then `count` times; returns (seconds, latencies)."""
    for _ in range(warmup):
        one({})
    latencies: dict[str, list[float]] = {}
    started = time.perf_counter()
    for _ in range(count):
        one(latencies)
    return time.perf_counter() - started, latencies


def warmup_count(count: int) -> int:
    return max(5, min(50, count // 10))


def expect(condition: bool, message: str) -> None:
    """Fail loudly: a benchmark of instances that silently failed would measure the wrong thing."""
    if not condition:
        raise SystemExit(f"benchmark check failed: {message}")


# --------------------------------------------------------------------------- plain SpiffWorkflow

def bench_memory(model: Model, count: int) -> Result:
    """Plain SpiffWorkflow in memory: parse once, then BpmnWorkflow + do_engine_steps per instance.

    The spec object is shared by all instances: SpiffWorkflow mutates specs only for
    multi-instance and some start-event triggers, and these models have neither (every
    instance is checked to end with the expected data, so a broken reuse would show).
    """
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.camunda.parser import CamundaParser
    from SpiffWorkflow.util.task import TaskState

    parser = CamundaParser()
    parser.add_bpmn_str(model.bpmn)
    spec, subprocess_specs = parser.get_spec(model.key), parser.get_subprocess_specs(model.key)

    def one(_latencies):
        workflow = BpmnWorkflow(spec, subprocess_specs)
        workflow.task_tree.data["x"] = 0
        workflow.do_engine_steps()
        if model.user_task:
            [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
            task.data.update({"approved": True})
            task.run()
            workflow.do_engine_steps()
            expect(workflow.is_completed() and workflow.data.get("approved") is True, "memory: task not done")
        else:
            expect(workflow.is_completed() and workflow.data.get("x") == 10, f"memory: data {workflow.data}")

    seconds, latencies = timed_loop(count, warmup_count(count), one)
    return Result("memory", model.key, count, seconds, latencies)


# --------------------------------------------------------------------------- Fuse engine on SQLite

def sqlite_url(directory: str) -> str:
    return f"sqlite:///{Path(directory) / 'fuse.db'}"


def engine_setup(directory: str, models: list[Model]):
    """A migrated SQLite database in `directory` with every model deployed; returns a session factory."""
    from engine.store.db import open_database
    from engine.deployment.deploy import deploy
    from engine.store.schema import upgrade_database

    url = sqlite_url(directory)
    upgrade_database(url)
    sessions = open_database(url)
    with sessions() as session:
        deploy(session, {m.file_name: m.bpmn for m in models}, None, ACTOR_NAME)
        session.commit()
    return sessions


def engine_instance(sessions, model: Model) -> Callable[[dict[str, list[float]]], None]:
    """One instance through the engine API: start (+ complete), each in its own transaction."""
    from engine.identity.users import Actor
    from engine.instances.commands import open_tasks, start_instance
    from engine.tasks.user_tasks import complete_task

    actor = Actor(ACTOR_NAME, frozenset({"admin"}))

    def one(latencies):
        t0 = time.perf_counter()
        with sessions() as session:
            row = start_instance(session, actor, definition_key=model.key, variables={"x": 0})
            tasks = open_tasks(session, row.id) if model.user_task else []
            session.commit()
        t1 = time.perf_counter()
        latencies.setdefault("start", []).append(t1 - t0)
        if not model.user_task:
            expect(row.state == "completed" and row.variables.get("x") == 10,
                   f"engine: instance {row.state} {row.error or row.variables}")
            return
        expect(row.state == "active" and len(tasks) == 1, f"engine: instance {row.state} {row.error}")
        with sessions() as session:
            row = complete_task(session, tasks[0].id, actor, {"approved": True})
            session.commit()
        latencies.setdefault("complete", []).append(time.perf_counter() - t1)
        expect(row.state == "completed", f"engine: instance {row.state} {row.error}")

    return one


def bench_engine(model: Model, count: int, sessions) -> Result:
    """Fuse's engine with durable state on SQLite."""
    seconds, latencies = timed_loop(count, warmup_count(count), engine_instance(sessions, model))
    return Result("engine", model.key, count, seconds, latencies)


def profile_engine(model: Model, count: int, sessions, top: int = 30) -> None:
    """cProfile the engine path; print Fuse, SpiffWorkflow and Session functions by cumulative ms per instance."""
    one = engine_instance(sessions, model)
    for _ in range(warmup_count(count)):
        one({})
    profiler = cProfile.Profile()
    profiler.enable()
    started = time.perf_counter()
    for _ in range(count):
        one({})
    seconds = time.perf_counter() - started
    profiler.disable()
    rows = []
    for (file, line, name), (_cc, calls, tottime, cumtime, _callers) in pstats.Stats(profiler).stats.items():
        where = short_path(file)
        if where.startswith(PROFILED) or (where.endswith("orm/session.py") and name in SESSION_CALLS):
            rows.append((cumtime, tottime, calls, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    print(f"\nProfile of engine/{model.key}: {count} instances, {seconds * 1000 / count:.2f} ms each under "
          "cProfile (which inflates Python-heavy code)")
    print(f"{'cum ms/inst':>11} {'own ms/inst':>11} {'calls/inst':>10}  function")
    for cumtime, tottime, calls, where in rows[:top]:
        print(f"{cumtime * 1000 / count:11.3f} {tottime * 1000 / count:11.3f} {calls / count:10.1f}  {where}")


PROFILED = ("engine/", "bpmn/", "api/", "SpiffWorkflow/")
SESSION_CALLS = {"commit", "flush", "execute", "scalars", "scalar", "get", "close"}


def short_path(file: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


# --------------------------------------------------------------------------- REST API

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`fuse serve` on a fresh SQLite database, with a user `bench` (admin) and its token."""

    def __init__(self, directory: str):
        self.directory = Path(directory)
        self.fuse = str(Path(sys.executable).with_name("fuse"))
        self.env = {**os.environ, "FUSE_DATABASE_URL": sqlite_url(directory)}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.token = ""

    def cli(self, *args: str) -> str:
        done = subprocess.run([self.fuse, *args], env=self.env, cwd=self.directory,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"fuse {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def __enter__(self) -> "Server":
        self.cli("db", "upgrade")
        self.cli("user", "add", ACTOR_NAME, "--group", "admin")
        self.token = self.cli("token", "create", ACTOR_NAME).split()[-1]
        self.log = open(self.directory / "server.log", "wb")
        self.process = subprocess.Popen([self.fuse, "serve", "--port", str(self.port)], env=self.env,
                                        cwd=self.directory, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_until_healthy(self, timeout: float = 30.0) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"fuse serve exited:\n{(self.directory / 'server.log').read_text()}")
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"fuse serve was not healthy after {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __exit__(self, *_exc) -> None:
        self.stop()


def rest_client(server: Server, models: list[Model]):
    """A keep-alive HTTP session with the bearer token, after deploying every model."""
    import requests

    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {server.token}"
    files = [("file", (m.file_name, m.bpmn, "application/xml")) for m in models]
    response = http.post(f"{server.base}/api/v1/deployments", files=files, data={"name": "bench"})
    expect(response.status_code in (200, 201), f"deploy: {response.status_code} {response.text}")
    return http


def bench_rest(model: Model, count: int, server: Server, http) -> Result:
    """Through the REST API: POST /process-instances (+ POST /tasks/{id}/complete)."""
    start_url, base = f"{server.base}/api/v1/process-instances", f"{server.base}/api/v1/tasks"

    def one(latencies):
        t0 = time.perf_counter()
        response = http.post(start_url, json={"definition_key": model.key, "variables": {"x": 0}})
        t1 = time.perf_counter()
        latencies.setdefault("start", []).append(t1 - t0)
        expect(response.status_code == 201, f"rest start: {response.status_code} {response.text}")
        body = response.json()
        if not model.user_task:
            expect(body["state"] == "completed" and body["variables"].get("x") == 10, f"rest: {body}")
            return
        expect(body["state"] == "active" and len(body["open_tasks"]) == 1, f"rest: {body}")
        t1 = time.perf_counter()
        response = http.post(f"{base}/{body['open_tasks'][0]['id']}/complete",
                             json={"variables": {"approved": True}})
        latencies.setdefault("complete", []).append(time.perf_counter() - t1)
        expect(response.status_code == 200 and response.json()["state"] == "completed",
               f"rest complete: {response.status_code} {response.text}")

    seconds, latencies = timed_loop(count, warmup_count(count), one)
    return Result("rest", model.key, count, seconds, latencies)


# --------------------------------------------------------------------------- report

def print_table(results: list[Result]) -> None:
    """One line per (model, path): rate, ratio to plain SpiffWorkflow, latency percentiles."""
    baseline = {r.model: r.rate for r in results if r.path == "memory"}
    labels = {"memory": "spiff/memory", "engine": "engine/sqlite", "rest": "rest/sqlite"}
    print(f"\n{'model':<9} {'path':<14} {'n':>5} {'inst/s':>8} {'ratio':>6}   "
          f"{'start p50/p99 ms':>17}   {'complete p50/p99 ms':>19}")
    for r in results:
        ratio = f"{r.rate / baseline[r.model]:.2f}x" if r.model in baseline else "-"
        cells = []
        for kind in ("start", "complete"):
            values = r.latencies.get(kind) if r.path != "memory" else None
            cells.append(f"{percentile(values, 50) * 1000:.2f} / {percentile(values, 99) * 1000:.2f}"
                         if values else "-")
        print(f"{r.model:<9} {labels[r.path]:<14} {r.count:>5} {r.rate:>8.0f} {ratio:>6}   "
              f"{cells[0]:>17}   {cells[1]:>19}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, metavar="N",
                        help="instances per measurement for every path (default: "
                             + ", ".join(f"{p} {n}" for p, n in DEFAULT_COUNTS.items()) + ")")
    for path in PATHS:
        parser.add_argument(f"--{path}-instances", type=int, metavar="N", help=f"instances for the {path} path")
    parser.add_argument("--only", nargs="+", choices=PATHS, default=list(PATHS), help="paths to run")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile the engine path for script10 and print where the time goes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    counts = {p: getattr(args, f"{p}_instances") or args.instances or n for p, n in DEFAULT_COUNTS.items()}
    models = [script_chain_model(), user_task_model()]
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; counts: "
          + ", ".join(f"{p} {counts[p]}" for p in args.only), flush=True)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="fuse-bench-") as directory:
        if "memory" in args.only:
            results += [bench_memory(m, counts["memory"]) for m in models]
        if "engine" in args.only or args.profile:
            sessions = engine_setup(_mkdir(directory, "engine"), models)
            if "engine" in args.only:
                results += [bench_engine(m, counts["engine"], sessions) for m in models]
        if "rest" in args.only:
            with Server(_mkdir(directory, "rest")) as server:
                http = rest_client(server, models)
                results += [bench_rest(m, counts["rest"], server, http) for m in models]
                http.close()
        results.sort(key=lambda r: ([m.key for m in models].index(r.model), PATHS.index(r.path)))
        print_table(results)
        if args.profile:
            profile_engine(models[0], counts["engine"], sessions)


def _mkdir(parent: str, name: str) -> str:
    path = Path(parent) / name
    path.mkdir()
    return str(path)


if __name__ == "__main__":
    main()
