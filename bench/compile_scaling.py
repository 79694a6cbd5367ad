"""Compile time against model size: chains of script tasks, Fuse's compiler beside plain SpiffWorkflow.

Prints, per chain length, the seconds (best of --repeat runs) of:
  spiff/parse      SpiffWorkflow's CamundaParser alone: add the file, build the process spec (recursive:
                   it fails with RecursionError past a few hundred tasks, printed as such)
  fuse/compile     Fuse's compiler: safe XML, limits, lenient rewrites, checks, extensions, specs
  fuse/start       a workflow built from Fuse's spec: SpiffWorkflow predicts every future task
and the growth of fuse/compile against the previous length (linear: about the ratio of the lengths).
Run: .venv/bin/python bench/compile_scaling.py [--sizes 400,1000,5000,20000,50000] [--repeat N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bpmn.compiler import compile_models  # noqa: E402 - after the path is set
from helpers import chain_process  # noqa: E402


def best_seconds(work, repeat: int) -> float | str:
    """Fewest seconds `work()` took over `repeat` runs, or the name of the error it raised."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        try:
            work()
        except Exception as err:  # noqa: BLE001 - a failure is a figure too
            # SpiffWorkflow re-raises a RecursionError inside its parser as a ValidationException.
            return "RecursionError" if "RecursionError" in repr(err) else type(err).__name__
        times.append(time.perf_counter() - began)
    return min(times)


def spiff_parse(data: bytes) -> None:
    parser = CamundaParser()
    parser.add_bpmn_xml(etree.fromstring(data, etree.XMLParser(huge_tree=True)), filename="chain.bpmn")
    parser.get_spec("chain")


def fuse_compile(data: bytes):
    [process] = compile_models({"chain.bpmn": data}).processes
    return process


def fuse_start(process) -> None:
    BpmnWorkflow(process.spec, process.subprocess_specs)


def shown(value: float | str) -> str:
    return f"{value:10.2f}" if isinstance(value, float) else f"{value:>10}"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sizes", default="400,1000,5000,20000,50000")
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args()
    print(f"{'tasks':>7} {'KB':>7} {'spiff/parse':>14} {'fuse/compile':>12} {'fuse/start':>10} {'growth':>7}")
    previous = None
    for tasks in (int(size) for size in args.sizes.split(",")):
        data = chain_process(tasks)
        spiff = best_seconds(lambda: spiff_parse(data), args.repeat)
        compiled = best_seconds(lambda: fuse_compile(data), args.repeat)
        process = fuse_compile(data)
        started = best_seconds(lambda: fuse_start(process), args.repeat)
        growth = (f"{compiled / previous[1]:6.1f}x (tasks {tasks / previous[0]:.0f}x)"
                  if previous and isinstance(compiled, float) else "")
        print(f"{tasks:7d} {len(data) // 1024:7d} {shown(spiff):>14} {shown(compiled):>12} {shown(started):>10} {growth}")
        previous = (tasks, compiled) if isinstance(compiled, float) else None


if __name__ == "__main__":
    main()
