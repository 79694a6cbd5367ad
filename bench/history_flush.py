"""Cost of writing history: HistoryRecorder.flush of one command's events, on a temp SQLite file.

    .venv/bin/python bench/history_flush.py [--commands N] [--events M]

Each command records M events shaped like a script task chain's (entered, completed, variables
changed), flushes them after the instance's earlier ones and commits. Printed: microseconds per
event spent in flush (chaining, masking and the INSERT) and per command including the commit.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stats import percentile  # noqa: E402  (bench/ is the script directory)


def _one_command(recorder, events: int, n: int) -> None:
    for i in range(events // 3):
        recorder.record("activity_entered", activity_id=f"s{i}", activity_name=f"s{i}", data={"type": "scriptTask"})
        recorder.record("activity_completed", activity_id=f"s{i}", activity_name=f"s{i}",
                        data={"type": "scriptTask"})
        recorder.record("variables_changed", activity_id=f"s{i}", activity_name=f"s{i}",
                        data={"set": {"x": n + i, "amount": 12.5}, "before": {"x": n + i - 1, "amount": 12.5}})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--events", type=int, default=30)
    args = parser.parse_args(argv)

    from engine.store.db import open_database
    from engine.history.recorder import HistoryRecorder
    from engine.store.models import ProcessDefinition, ProcessInstance, Deployment, utcnow
    from engine.store.schema import upgrade_database

    with tempfile.TemporaryDirectory(prefix="fuse-bench-history-") as directory:
        url = f"sqlite:///{directory}/fuse.db"
        upgrade_database(url)
        session = open_database(url)()
        session.add(Deployment(id="d", name="d", checksum="c", created_at=utcnow()))
        session.flush()
        session.add(ProcessDefinition(id="p:1", key="p", version=1, deployment_id="d", resource_name="p.bpmn",
                                      spec_json="", activities={}, created_at=utcnow()))
        session.flush()
        row = ProcessInstance(id="i", definition_id="p:1", definition_key="p", state="active", variables={},
                              active_activities=[], workflow_state="", lock_version=0, history_seq=0)
        session.add(row)
        session.commit()
        flushes, commands = [], []
        for n in range(args.commands):
            recorder = HistoryRecorder()
            _one_command(recorder, args.events, n)
            began = time.perf_counter()
            recorder.flush(session, row)
            flushed = time.perf_counter()
            session.commit()
            flushes.append(flushed - began)
            commands.append(time.perf_counter() - began)
        session.close()
    per_event = [s / args.events * 1e6 for s in flushes]
    print(f"{args.commands} commands x {args.events} events")
    print(f"flush per event   p50 {percentile(per_event, 50):7.1f} us   p90 {percentile(per_event, 90):7.1f} us")
    print(f"flush+commit      p50 {percentile(commands, 50) * 1e3:7.2f} ms   "
          f"p90 {percentile(commands, 90) * 1e3:7.2f} ms")


if __name__ == "__main__":
    main()
