"""What Camunda 7's REST API at /engine-rest costs over /api/v1, for start + complete of one user task.

    .venv/bin/python bench/camunda7_overhead.py [--instances N] [--rounds R]

One `fuse serve` (waitress, SQLite) serves both prefixes; one keep-alive client drives them in alternating
rounds, so that both see the same machine load. Per instance:
  api/v1       POST /api/v1/process-instances (the answer lists the open task), POST /api/v1/tasks/{id}/complete
  engine-rest  POST /engine-rest/process-definition/key/{key}/start with typed variables,
               GET /engine-rest/task?processInstanceId= (a Camunda start answer does not list tasks),
               POST /engine-rest/task/{id}/complete with typed variables (204)
Plain SpiffWorkflow in memory runs the same model in the same run, for the ratio every benchmark prints.
The compatibility layer's own cost is the `start` and `complete` columns side by side; `flow` adds the task
lookup a Camunda client needs.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from stats import percentile  # bench/ is the script directory, so on sys.path
from throughput import Result, Server, bench_memory, expect, rest_client, timed_loop, user_task_model

ROUNDS = 4


def api_v1_instance(server: Server, http, key: str):
    start_url, tasks_url = f"{server.base}/api/v1/process-instances", f"{server.base}/api/v1/tasks"

    def one(latencies):
        t0 = time.perf_counter()
        response = http.post(start_url, json={"definition_key": key, "variables": {"x": 0}})
        t1 = time.perf_counter()
        expect(response.status_code == 201, f"api/v1 start: {response.status_code} {response.text}")
        task_id = response.json()["open_tasks"][0]["id"]
        t2 = time.perf_counter()
        response = http.post(f"{tasks_url}/{task_id}/complete", json={"variables": {"approved": True}})
        t3 = time.perf_counter()
        expect(response.status_code == 200 and response.json()["state"] == "completed",
               f"api/v1 complete: {response.status_code} {response.text}")
        _record(latencies, start=t1 - t0, complete=t3 - t2, flow=t3 - t0)
    return one


def engine_rest_instance(server: Server, http, key: str):
    base = f"{server.base}/engine-rest"

    def one(latencies):
        t0 = time.perf_counter()
        response = http.post(f"{base}/process-definition/key/{key}/start",
                             json={"variables": {"x": {"value": 0, "type": "Integer"}}})
        t1 = time.perf_counter()
        expect(response.status_code == 200, f"engine-rest start: {response.status_code} {response.text}")
        tasks = http.get(f"{base}/task", params={"processInstanceId": response.json()["id"]})
        expect(tasks.status_code == 200 and len(tasks.json()) == 1, f"engine-rest task: {tasks.text}")
        t2 = time.perf_counter()
        response = http.post(f"{base}/task/{tasks.json()[0]['id']}/complete",
                             json={"variables": {"approved": {"value": True, "type": "Boolean"}}})
        t3 = time.perf_counter()
        expect(response.status_code == 204, f"engine-rest complete: {response.status_code} {response.text}")
        _record(latencies, start=t1 - t0, complete=t3 - t2, flow=t3 - t0)
    return one


def _record(latencies: dict[str, list[float]], **seconds: float) -> None:
    for kind, value in seconds.items():
        latencies.setdefault(kind, []).append(value)


def interleaved(count: int, rounds: int, paths: dict) -> dict[str, Result]:
    """Each path runs count/rounds instances per round, alternately; the figures add up over the rounds."""
    totals = {name: Result(name, "usertask", 0, 0.0, {}) for name in paths}
    per_round = max(1, count // rounds)
    for _ in range(rounds):
        for name, one in paths.items():
            seconds, latencies = timed_loop(per_round, min(10, per_round), one)
            total = totals[name]
            total.count += per_round
            total.seconds += seconds
            for kind, values in latencies.items():
                total.latencies.setdefault(kind, []).extend(values)
    return totals


def print_table(memory: Result, results: dict[str, Result]) -> None:
    print(f"\n{'path':<14} {'n':>5} {'inst/s':>8} {'vs spiff':>9}   "
          + "   ".join(f"{kind + ' p50/p99 ms':>20}" for kind in ("start", "complete", "flow")))
    print(f"{'spiff/memory':<14} {memory.count:>5} {memory.rate:>8.0f} {'1.00x':>9}")
    for name, result in results.items():
        cells = [f"{percentile(result.latencies[kind], 50) * 1000:.2f} / "
                 f"{percentile(result.latencies[kind], 99) * 1000:.2f}" for kind in ("start", "complete", "flow")]
        print(f"{name:<14} {result.count:>5} {result.rate:>8.0f} {result.rate / memory.rate:>8.2f}x   "
              + "   ".join(f"{cell:>20}" for cell in cells))
    v1, c7 = results["api/v1"], results["engine-rest"]
    for kind in ("start", "complete", "flow"):
        ratio = percentile(c7.latencies[kind], 50) / percentile(v1.latencies[kind], 50)
        print(f"engine-rest / api/v1, median {kind}: {ratio:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=400, metavar="N", help="instances per path")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="alternating rounds")
    args = parser.parse_args(argv)
    model = user_task_model()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {args.instances} instances per path "
          f"in {args.rounds} alternating rounds", flush=True)
    memory = bench_memory(model, args.instances * 5)
    with tempfile.TemporaryDirectory(prefix="fuse-bench-c7-") as directory, Server(directory) as server:
        http = rest_client(server, [model])
        results = interleaved(args.instances, args.rounds, {
            "api/v1": api_v1_instance(server, http, model.key),
            "engine-rest": engine_rest_instance(server, http, model.key)})
        http.close()
    print_table(memory, results)


if __name__ == "__main__":
    main()
