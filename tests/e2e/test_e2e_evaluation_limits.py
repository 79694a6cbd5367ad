"""A model whose script or condition would hold the GIL or take gigabytes fails its own instance
within seconds, while /healthz keeps answering within 1 s the whole time (issue 13, hole 5)."""
from __future__ import annotations

import threading
import time

import pytest
import requests

from helpers import bpmn_document, flow, one_script_process

NESTED_LOOPS = ("=count(for a in 1..1000 return count(for b in 1..1000 return "
                "count(for c in 1..1000 return c))) > 0")


def _gateway_process(condition: str, process_id: str) -> bytes:
    return bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="decide" default="f_no"/>'
        '<bpmn:endEvent id="yes"/><bpmn:endEvent id="no"/>'
        + flow("f1", "start", "decide") + flow("f_yes", "decide", "yes", condition)
        + flow("f_no", "decide", "no"), process_id)


MODELS = {
    "lcm": one_script_process("x = math.lcm(*range(1, 200000))", "lcm"),
    "ljust": one_script_process("x = 'a'.ljust(10**9)", "ljust"),
    "c_loop": one_script_process("x = [max(range(10**8), key=str), max(range(10**8), key=str)]", "c_loop"),
    "recursion": one_script_process("def f(n):\n    return f(n + 1) + 1\nx = f(0)", "recursion"),
    "feel_loops": _gateway_process(NESTED_LOOPS, "feel_loops"),
    "feel_regex": _gateway_process('=matches(evil, "(a+)+$")', "feel_regex"),
}


def _watch_health(url: str, stop: threading.Event, slowest: list[float]) -> None:
    while not stop.is_set():
        began = time.monotonic()
        response = requests.get(url, timeout=5)
        slowest[0] = max(slowest[0], time.monotonic() - began)
        assert response.status_code == 200
        time.sleep(0.05)


@pytest.mark.parametrize("name", list(MODELS))
def test_hostile_model_fails_its_instance_while_healthz_keeps_answering(server, name):
    assert server.deploy((f"{name}.bpmn", MODELS[name])).status_code == 201
    stop, slowest = threading.Event(), [0.0]
    watcher = threading.Thread(target=_watch_health, args=(server.url("/healthz"), stop, slowest))
    watcher.start()
    try:
        began = time.monotonic()
        started = server.start_instance(name, {"evil": "a" * 26 + "!"})
        elapsed = time.monotonic() - began
    finally:
        stop.set()
        watcher.join()
    assert started.status_code == 201, started.text + server.stderr()[-3000:]
    if name == "feel_regex":   # RE2 answers at once: no match, so the default flow
        assert started.json()["state"] == "completed"
    else:
        assert started.json()["state"] == "failed", started.json()
    assert elapsed <= 5
    assert slowest[0] < 1, f"/healthz took {slowest[0]:.2f} s"
    assert server.deploy(("fine.bpmn", one_script_process("y = 2", "fine"))).status_code in (200, 201)
    assert server.start_instance("fine", {}).json()["state"] == "completed"
