"""Parse-and-deploy time for the MIWG corpus: plain SpiffWorkflow parsing beside Fuse's compile and deploy.

Prints, per kind of work, the median milliseconds per file over the corpus files each can handle:
  spiff/parse      SpiffWorkflow's CamundaParser: add the file, build every process spec
  fuse/compile     Fuse's compiler: safe XML, lenient rewrites, checks, extensions, specs
  fuse/deploy      the same plus storing the deployment and its definitions in SQLite (committed)
Run: .venv/bin/python bench/deploy.py [--repeat N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "miwg"


def timed(work, repeat: int) -> float | None:
    """Median milliseconds of `work()` over `repeat` runs, or None if it fails."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        try:
            work()
        except Exception:  # noqa: BLE001 - a file this path cannot handle is left out of its median
            return None
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def spiff_parse(data: bytes):
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

    parser = CamundaParser()
    parser.add_bpmn_xml(etree.fromstring(data), filename="f.bpmn")
    for process_id in parser.get_process_ids():
        parser.get_spec(process_id)


def fuse_compile(data: bytes):
    from bpmn.compiler import compile_models

    compile_models({"f.bpmn": data}, allow_non_executable=True)


def fuse_deployer(directory: str):
    from engine.store.db import open_database
    from engine.deployment.deploy import deploy
    from engine.store.schema import upgrade_database

    url = f"sqlite:///{directory}/deploy.db"
    upgrade_database(url)
    sessions = open_database(url)
    counter = iter(range(10**9))

    def run(data: bytes):
        # A trailing comment makes each upload new content, so every run really deploys.
        unique = data + f"<!-- {next(counter)} -->".encode()
        with sessions() as session:
            deploy(session, {"f.bpmn": unique}, None, "bench", allow_non_executable=True)
            session.commit()
    return run


def main(argv=None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--repeat", type=int, default=5, help="runs per file (median taken)")
    options = args.parse_args(argv)
    files = sorted(CORPUS.glob("*/*.bpmn"))
    if not files:
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as directory:
        paths = {"spiff/parse": spiff_parse, "fuse/compile": fuse_compile, "fuse/deploy": fuse_deployer(directory)}
        results = {name: {} for name in paths}
        for path in files:
            data = path.read_bytes()
            for name, work in paths.items():
                median = timed(lambda: work(data), options.repeat)
                if median is not None:
                    results[name][path.name] = median
    both = set(results["spiff/parse"]) & set(results["fuse/compile"])
    print(f"{len(files)} corpus files, median of {options.repeat} runs per file\n")
    print(f"{'path':14} {'files':>5} {'median ms/file':>15} {'on files both parse':>20}")
    spiff_common = statistics.median(results["spiff/parse"][f] for f in both) if both else float("nan")
    for name, per_file in results.items():
        overall = statistics.median(per_file.values()) if per_file else float("nan")
        common = statistics.median(per_file[f] for f in both if f in per_file) if both else float("nan")
        ratio = f"{common / spiff_common:.2f}x" if both else "-"
        print(f"{name:14} {len(per_file):>5} {overall:>15.2f} {common:>13.2f} ({ratio})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
