"""Running a long chain to its end: Fuse's engine beside plain SpiffWorkflow, per chain length.

Prints, per chain length N (script tasks in a row), the seconds of:
  spiff/run     plain SpiffWorkflow's do_engine_steps on Fuse's compiled spec (SpiffWorkflow's own parser
                recurses past a few hundred tasks). Its task iterator stops at depth 1000, so a longer chain
                stalls there: printed as "stalled@k" (k tasks ran).
  fuse/run      Fuse's engine: start_instance on a temp SQLite file, run to the end, history and all
  fuse/step     fuse/run per task, in milliseconds: flat when the per-step cost does not grow with N
and the growth of fuse/run against the previous length (linear: about the ratio of the lengths).
Run: .venv/bin/python bench/long_chain.py [--sizes 500,1000,2000,5000] [--profile N]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bpmn.compiler import compile_models  # noqa: E402 - after the path is set
from engine.deployment.deploy import deploy  # noqa: E402
from engine.identity.users import Actor  # noqa: E402
from engine.instances.commands import start_instance  # noqa: E402
from engine.store.db import open_database  # noqa: E402
from engine.store.schema import upgrade_database  # noqa: E402
from helpers import chain_process  # noqa: E402

ADMIN = Actor("bench", frozenset({"admin"}))


def spiff_run(data: bytes, expected: int) -> str:
    [process] = compile_models({"chain.bpmn": data}).processes
    workflow = BpmnWorkflow(process.spec, process.subprocess_specs)
    workflow.task_tree.data["n"] = 0
    began = time.perf_counter()
    workflow.do_engine_steps()
    seconds = time.perf_counter() - began
    # is_completed() cannot be trusted here: it walks the tree only 1000 levels deep.
    ran = workflow.data.get("n") if workflow.completed else max(
        (t.data.get("n", 0) for t in workflow.tasks.values() if t.state == TaskState.COMPLETED), default=0)
    if ran == expected:
        return f"{seconds:10.2f}"
    return f"{'stalled@' + str(ran):>10}"


def fuse_run(data: bytes, profile: bool = False) -> float:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/fuse.db"
        upgrade_database(url)
        sessions = open_database(url)
        with sessions() as session:
            deploy(session, {"chain.bpmn": data}, None, "bench")
            session.commit()
        with sessions() as session:
            profiler = cProfile.Profile() if profile else None
            began = time.perf_counter()
            if profiler:
                profiler.enable()
            instance = start_instance(session, ADMIN, definition_key="chain", variables={"n": 0})
            session.commit()
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - began
            assert instance.state == "completed", instance.error
        sessions.kw["bind"].dispose()
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500,1000,2000,5000")
    parser.add_argument("--profile", type=int, help="profile Fuse's run of a chain of this length instead")
    args = parser.parse_args()
    if args.profile:
        fuse_run(chain_process(args.profile), profile=True)
        return
    print(f"{'N':>7} {'spiff/run':>10} {'fuse/run':>10} {'fuse/step':>10} {'growth':>8}")
    previous = None
    for size in [int(s) for s in args.sizes.split(",")]:
        data = chain_process(size)
        spiff = spiff_run(data, size)
        fuse = fuse_run(data)
        growth = f"{fuse / previous:8.1f}" if previous else f"{'':>8}"
        print(f"{size:7} {spiff} {fuse:10.2f} {1000 * fuse / size:10.2f} {growth}", flush=True)
        previous = fuse


if __name__ == "__main__":
    main()
