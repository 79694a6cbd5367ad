"""The real server's embedded worker carries an async continuation on after the answer."""
from __future__ import annotations

import time

from helpers import bpmn_document, flow

MODEL = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:scriptTask id="slow" scriptFormat="python" camunda:asyncBefore="true">'
    '<bpmn:script>done = True</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "slow") + flow("f2", "slow", "end"), "async_e2e")


def test_async_before_answers_first_and_the_embedded_worker_finishes(server):
    assert server.deploy(("async.bpmn", MODEL)).status_code == 201
    started = server.start_instance("async_e2e", {})
    assert started.status_code == 201 and started.json()["state"] == "active"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        instance = server.get(f"/api/v1/process-instances/{started.json()['id']}").json()
        if instance["state"] == "completed":
            break
        time.sleep(0.1)
    assert instance["state"] == "completed" and instance["variables"] == {"done": True}
    assert "job_executed" in [e["type"] for e in server.history(started.json()["id"])]


TICKER = bpmn_document(
    '<bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">'
    'R2/PT1S</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>'
    '<bpmn:scriptTask id="work" scriptFormat="python"><bpmn:script>ticked = True</bpmn:script></bpmn:scriptTask>'
    '<bpmn:endEvent id="end"/>' + flow("f1", "tick", "work") + flow("f2", "work", "end"), "ticker_e2e")


def test_a_timer_start_event_starts_instances_from_the_embedded_worker(server):
    assert server.deploy(("ticker.bpmn", TICKER)).status_code == 201
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = server.get("/api/v1/process-instances?definition_key=ticker_e2e").json()["items"]
        if len(found) == 2 and all(i["state"] == "completed" for i in found):
            break
        time.sleep(0.2)
    assert [i["variables"] for i in found] == [{"ticked": True}] * 2
    time.sleep(1.5)  # R2: a third firing never comes
    assert len(server.get("/api/v1/process-instances?definition_key=ticker_e2e").json()["items"]) == 2
