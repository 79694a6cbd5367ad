"""Throughput of Fuse against plain SpiffWorkflow, for two small processes, in one run.

    .venv/bin/python bench/throughput.py [--instances N] [--only memory engine rest] [--clients 1 8]
        [--workers N] [--postgres URL] [--profile]

Processes:
  script10  start -> 10 sequential script tasks (`x = x + 1`) -> end
  usertask  start -> one user task -> end (an instance = start it, then complete the task)

Paths, each reported in instances per second and as a ratio to the in-memory figure:
  memory       plain SpiffWorkflow: CamundaParser spec, BpmnWorkflow, do_engine_steps, nothing stored
  engine       Fuse's engine on a temp SQLite file, one transaction per command (as the API does)
  rest         `fuse serve --workers N` (default: one process per core) on a free port, driven over HTTP by
               C keep-alive connections at once, for each C of --clients; with --postgres, also on PostgreSQL
               with one process and with N, at the largest C (the ratio of the two is what a second process adds)

Per-command latencies (p50/p99, ms) are shown for the durable paths. Everything is written into
a temporary directory; the repository is never touched. `--profile` runs the engine path for
script10 under cProfile and prints the top functions by cumulative time per instance.
"""
from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
# The project before tests/ (whose engine/ folder would shadow the package), then the BPMN builders the tests use.
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers import bpmn_document, flow, script_task, user_task_process  # noqa: E402

from stats import percentile, verdict  # bench/ is the script directory, so on sys.path

from api.serve_processes import usable_cores  # noqa: E402

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
    where: str = ""  # the REST path's database and serving processes

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
    from engine.instances.commands import start_instance, view_instance
    from engine.tasks.user_tasks import complete_task

    actor = Actor(ACTOR_NAME, frozenset({"admin"}))

    def one(latencies):
        t0 = time.perf_counter()
        with sessions() as session:
            row = start_instance(session, actor, definition_key=model.key, variables={"x": 0})
            # As the REST API answers a start: the open tasks the command left in memory, not read again.
            tasks = view_instance(session, row).open_tasks if model.user_task else []
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
    """`fuse serve --workers N` on a fresh database (SQLite, or a schema of its own on PostgreSQL), with a user
    `bench` (admin) and its token."""

    def __init__(self, directory: str, workers: int, postgres_url: str | None = None):
        self.directory = Path(directory)
        self.workers = workers
        self.fuse = str(Path(sys.executable).with_name("fuse"))
        self.schema = f"bench_{os.getpid()}_{int(time.time() * 1000) % 10**9}" if postgres_url else None
        url = postgres_schema_url(postgres_url, self.schema) if postgres_url else sqlite_url(directory)
        self.postgres_url = postgres_url
        self.label = f"{'pg' if postgres_url else 'sqlite'} w={workers}"
        self.env = {**os.environ, "FUSE_DATABASE_URL": url, "FUSE_LOG_LEVEL": "WARNING"}
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
        if self.schema:
            postgres_execute(self.postgres_url, f"CREATE SCHEMA {self.schema}")
        self.cli("db", "upgrade")
        self.cli("user", "add", ACTOR_NAME, "--group", "admin")
        self.token = self.cli("token", "create", ACTOR_NAME).split()[-1]
        self.log = open(self.directory / "server.log", "wb")
        self.process = subprocess.Popen([self.fuse, "serve", "--port", str(self.port), "--workers", str(self.workers)], env=self.env,
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
            except requests.RequestException:  # not listening yet, or listening while its processes start
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
        if self.schema:
            postgres_execute(self.postgres_url, f"DROP SCHEMA {self.schema} CASCADE")


def postgres_schema_url(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def postgres_execute(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def deploy_over_rest(server: Server, models: list[Model]) -> None:
    import requests

    files = [("file", (m.file_name, m.bpmn, "application/xml")) for m in models]
    response = requests.post(f"{server.base}/api/v1/deployments", files=files, data={"name": "bench"},
                             headers={"Authorization": f"Bearer {server.token}"})
    expect(response.status_code in (200, 201), f"deploy: {response.status_code} {response.text}")


class Client:
    """One keep-alive HTTP connection with the bearer token (http.client: the load generator shares the cores
    with the server, so it should spend as little of them as it can)."""

    def __init__(self, server: Server):
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        self.connection.request("POST", path, json.dumps(body), self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())

    def close(self) -> None:
        self.connection.close()


def rest_instance(model: Model) -> Callable[[Client, dict[str, list[float]]], None]:
    """One instance through the REST API: POST /process-instances (+ POST /tasks/{id}/complete)."""

    def one(client: Client, latencies: dict[str, list[float]]) -> None:
        t0 = time.perf_counter()
        status, body = client.post("/api/v1/process-instances", {"definition_key": model.key, "variables": {"x": 0}})
        t1 = time.perf_counter()
        latencies.setdefault("start", []).append(t1 - t0)
        expect(status == 201, f"rest start: {status} {body}")
        if not model.user_task:
            expect(body["state"] == "completed" and body["variables"].get("x") == 10, f"rest: {body}")
            return
        expect(body["state"] == "active" and len(body["open_tasks"]) == 1, f"rest: {body}")
        t1 = time.perf_counter()
        status, body = client.post(f"/api/v1/tasks/{body['open_tasks'][0]['id']}/complete",
                                   {"variables": {"approved": True}})
        latencies.setdefault("complete", []).append(time.perf_counter() - t1)
        expect(status == 200 and body["state"] == "completed", f"rest complete: {status} {body}")

    return one


def bench_rest(model: Model, count: int, server: Server, clients: int) -> Result:
    """`clients` connections at once, each running count/clients instances one after the other."""
    one = rest_instance(model)
    per_client = max(1, count // clients)

    def run(_index: int) -> dict[str, list[float]]:
        client, latencies = Client(server), {}
        try:
            for _ in range(per_client):
                one(client, latencies)
        finally:
            client.close()
        return latencies

    warm = Client(server)
    for _ in range(warmup_count(count)):
        one(warm, {})
    warm.close()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        every = list(pool.map(run, range(clients)))
    seconds = time.perf_counter() - started
    latencies = {kind: [v for one_client in every for v in one_client.get(kind, [])] for kind in ("start", "complete")}
    return Result(f"rest c={clients}", model.key, per_client * clients, seconds,
                  {k: v for k, v in latencies.items() if v}, server.label)


# --------------------------------------------------------------------------- report

def print_table(results: list[Result]) -> None:
    """One line per (model, path): rate, ratio to plain SpiffWorkflow, latency percentiles."""
    baseline = {r.model: r.rate for r in results if r.path == "memory"}
    labels = {"memory": "spiff/memory", "engine": "engine/sqlite"}
    print(f"\n{'model':<9} {'path':<22} {'n':>5} {'inst/s':>8} {'ratio':>6}   "
          f"{'start p50/p99 ms':>17}   {'complete p50/p99 ms':>19}")
    for r in results:
        ratio = f"{r.rate / baseline[r.model]:.2f}x" if r.model in baseline else "-"
        cells = []
        for kind in ("start", "complete"):
            values = r.latencies.get(kind) if r.path != "memory" else None
            cells.append(f"{percentile(values, 50) * 1000:.2f} / {percentile(values, 99) * 1000:.2f}"
                         if values else "-")
        label = labels.get(r.path) or _label(r)
        print(f"{r.model:<9} {label:<22} {r.count:>5} {r.rate:>8.0f} {ratio:>6}   {cells[0]:>17}   {cells[1]:>19}")


# Issue 15's targets for what this script measures.
RATIO_TARGETS = {"script10": 0.7, "usertask": 0.15}
REST_RATE_TARGETS = {"script10": 250, "usertask": 150}
ENGINE_COMPLETE_P99_MS, REST_COMPLETE_P99_MS, LOADED_P99_MS = 10, 15, 100
PG_SCALING_TARGET = 1.6


def _label(result: Result) -> str:
    return result.path.replace("rest", f"rest/{result.where}")


def _p99_ms(result: Result, kind: str) -> float | None:
    values = result.latencies.get(kind)
    return percentile(values, 99) * 1000 if values else None


def target_rows(results: list[Result]) -> list[tuple[str, str, bool]]:
    """(what, measured against target, met) for each target that this run measured."""
    rows = []
    baseline = {r.model: r.rate for r in results if r.path == "memory"}
    for r in results:
        if r.path == "engine" and r.model in baseline:
            ratio, target = r.rate / baseline[r.model], RATIO_TARGETS[r.model]
            rows.append((f"{r.model} engine/sqlite ratio", f"{ratio:.2f}x (>= {target}x)", ratio >= target))
        if r.path == "engine" and (p99 := _p99_ms(r, "complete")) is not None:
            rows.append((f"{r.model} engine complete p99", f"{p99:.1f} ms (<= {ENGINE_COMPLETE_P99_MS})",
                         p99 <= ENGINE_COMPLETE_P99_MS))
    rest = [r for r in results if r.path.startswith("rest") and r.where.startswith("sqlite")]
    for model in REST_RATE_TARGETS:
        runs = sorted((r for r in rest if r.model == model), key=lambda r: int(r.path.split("=")[1]))
        if not runs:
            continue
        first, most = runs[0], runs[-1]
        rows.append((f"{model} {_label(most)}", f"{most.rate:.0f}/s (>= {REST_RATE_TARGETS[model]})",
                     most.rate >= REST_RATE_TARGETS[model]))
        if first.path == "rest c=1" and (p99 := _p99_ms(first, "complete")) is not None:
            rows.append((f"{model} {_label(first)} complete p99", f"{p99:.1f} ms (<= {REST_COMPLETE_P99_MS})",
                         p99 <= REST_COMPLETE_P99_MS))
        if most is not first:
            rows.append((f"{model} rest c=1 -> {most.path.split()[1]} growth", f"{most.rate / first.rate:.2f}x (> 1)",
                         most.rate > first.rate))
            worst = max(p for kind in ("start", "complete") if (p := _p99_ms(most, kind)) is not None)
            rows.append((f"{model} {_label(most)} p99", f"{worst:.0f} ms (<= {LOADED_P99_MS})",
                         worst <= LOADED_P99_MS))
    pg = [r for r in results if r.where.startswith("pg")]
    for model in REST_RATE_TARGETS:
        by_workers = sorted((r for r in pg if r.model == model), key=lambda r: int(r.where.split("=")[1]))
        if len(by_workers) >= 2:
            gain = by_workers[-1].rate / by_workers[0].rate
            rows.append((f"{model} rest/{by_workers[-1].where} vs {by_workers[0].where}",
                         f"{gain:.2f}x (>= {PG_SCALING_TARGET}x)", gain >= PG_SCALING_TARGET))
    return rows


def print_targets(results: list[Result]) -> None:
    rows = target_rows(results)
    if rows:
        print(f"\n{'target':<44} {'measured (target)':<24} verdict")
        for name, measured, met in rows:
            print(f"{name:<44} {measured:<24} {verdict(met)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, metavar="N",
                        help="instances per measurement for every path (default: "
                             + ", ".join(f"{p} {n}" for p, n in DEFAULT_COUNTS.items()) + ")")
    for path in PATHS:
        parser.add_argument(f"--{path}-instances", type=int, metavar="N", help=f"instances for the {path} path")
    parser.add_argument("--only", nargs="+", choices=PATHS, default=list(PATHS), help="paths to run")
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 8], metavar="C",
                        help="concurrent REST clients, one measurement each (default: 1 8)")
    parser.add_argument("--workers", type=int, default=usable_cores(), metavar="N",
                        help="`fuse serve --workers` for the REST path (default: the number of cores)")
    parser.add_argument("--postgres", metavar="URL",
                        help="also serve from PostgreSQL (a schema of its own): one process, then --workers, "
                             "at the largest --clients, e.g. postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile the engine path for script10 and print where the time goes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    counts = {p: getattr(args, f"{p}_instances") or args.instances or n for p, n in DEFAULT_COUNTS.items()}
    models = [script_chain_model(), user_task_model()]
    print(f"Python {sys.version.split()[0]}, {usable_cores()} usable cores; counts: "
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
            results += rest_results(_mkdir(directory, "rest"), models, counts["rest"], args.workers, args.clients)
            if args.postgres:
                for workers in sorted({1, args.workers}):
                    results += rest_results(_mkdir(directory, f"pg{workers}"), models, counts["rest"], workers,
                                            [max(args.clients)], args.postgres)
        order = [m.key for m in models]
        results.sort(key=lambda r: (order.index(r.model), PATHS.index(r.path.split()[0])))
        print_table(results)
        print_targets(results)
        if args.profile:
            profile_engine(models[0], counts["engine"], sessions)


def rest_results(directory: str, models: list[Model], count: int, workers: int, clients: list[int],
                 postgres_url: str | None = None) -> list[Result]:
    with Server(directory, workers, postgres_url) as server:
        deploy_over_rest(server, models)
        return [bench_rest(m, count, server, c) for m in models for c in clients]


def _mkdir(parent: str, name: str) -> str:
    path = Path(parent) / name
    path.mkdir()
    return str(path)


if __name__ == "__main__":
    main()
