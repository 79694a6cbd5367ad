"""Ending an instance that waits in front of a long chain of tasks: SpiffWorkflow 3.2 removes and
cancels predicted tasks recursively (one Python frame per task), which answered 500 RecursionError
past about a thousand tasks. Fuse's workflow and task classes walk the tree with loops instead."""
from __future__ import annotations

import time

import pytest

from helpers import bpmn_document, deploy, flow, script_task, start

LIMIT_SECONDS = 60  # generous: a 10,000-task chain terminates in a few seconds


def waiting_chain(tasks: int, boundary: str = "") -> bytes:
    """start -> user task 'wait' (with `boundary` events attached) -> `tasks` script tasks -> end."""
    body = ['<bpmn:startEvent id="start"/>', '<bpmn:userTask id="wait" name="Wait"/>', '<bpmn:endEvent id="end"/>',
            boundary, flow("f_wait", "start", "wait")]
    previous = "wait"
    for index in range(tasks):
        body.append(script_task(f"t{index}", "n = 1"))
        body.append(flow(f"f{index}", previous, f"t{index}"))
        previous = f"t{index}"
    body.append(flow("f_end", previous, "end"))
    return bpmn_document("\n".join(body), "chain")


@pytest.mark.parametrize("tasks", [3_000, 10_000])
def test_terminating_an_instance_in_front_of_a_long_chain(client, auth, tasks):
    assert deploy(client, auth["demo"], ("chain.bpmn", waiting_chain(tasks))).status_code == 201
    instance = start(client, auth["demo"], "chain").json
    assert instance["state"] == "active", instance
    began = time.monotonic()
    ended = client.delete(f"/api/v1/process-instances/{instance['id']}?reason=stop", headers=auth["demo"])
    assert ended.status_code == 200, ended.json
    assert time.monotonic() - began < LIMIT_SECONDS
    assert ended.json["state"] == "terminated" and ended.json["open_tasks"] == []
    again = client.get(f"/api/v1/process-instances/{instance['id']}", headers=auth["demo"]).json
    assert again["state"] == "terminated" and again["active_activities"] == []


INTERRUPT = ('<bpmn:boundaryEvent id="interrupted" attachedToRef="wait"><bpmn:messageEventDefinition '
             'messageRef="m_stop"/></bpmn:boundaryEvent><bpmn:endEvent id="end_interrupted"/>'
             + flow("f_interrupted", "interrupted", "end_interrupted"))


@pytest.mark.parametrize("tasks", [3_000, 10_000])
def test_an_interrupting_boundary_message_in_front_of_a_long_chain(client, auth, tasks):
    model = waiting_chain(tasks, INTERRUPT).replace(
        b"</bpmn:definitions>", b'<bpmn:message id="m_stop" name="stop"/></bpmn:definitions>')
    assert deploy(client, auth["demo"], ("chain.bpmn", model)).status_code == 201
    instance = start(client, auth["demo"], "chain").json
    began = time.monotonic()
    sent = client.post("/api/v1/messages", json={"name": "stop"}, headers=auth["demo"])
    assert sent.status_code == 200, sent.json
    assert time.monotonic() - began < LIMIT_SECONDS
    after = client.get(f"/api/v1/process-instances/{instance['id']}", headers=auth["demo"]).json
    assert after["state"] == "completed" and after["open_tasks"] == []
    history = client.get(f"/api/v1/process-instances/{instance['id']}/history", headers=auth["demo"]).json
    ran = {e["activity_id"] for e in history if e["type"] == "activity_completed"}
    assert "end_interrupted" in ran and "t0" not in ran


def test_moving_and_migrating_a_token_in_front_of_a_long_chain(client, auth):
    # Moving a token removes the tasks predicted after it; migrating rebuilds the tree: both walked it recursively.
    [v1] = deploy(client, auth["demo"], ("chain.bpmn", waiting_chain(3_000))).json["definitions"]
    instance = start(client, auth["demo"], "chain").json
    base = f"/api/v1/process-instances/{instance['id']}"
    began = time.monotonic()
    moved = client.post(f"{base}/move", json={"from_activity_id": "wait", "to_activity_id": "t2990",
                                              "reason": "skip"}, headers=auth["demo"])
    assert moved.status_code == 200, moved.json
    assert moved.json["state"] == "completed"  # the last ten script tasks ran
    assert time.monotonic() - began < LIMIT_SECONDS

    waiting = start(client, auth["demo"], "chain").json
    [v2] = deploy(client, auth["demo"], ("chain.bpmn", waiting_chain(3_001))).json["definitions"]
    assert v2["id"] != v1["id"]
    base = f"/api/v1/process-instances/{waiting['id']}"
    assert client.post(f"{base}/suspend", headers=auth["demo"]).status_code == 200
    migrated = client.post(f"{base}/migrate", json={"to_definition_id": v2["id"], "reason": "longer"},
                           headers=auth["demo"])
    assert migrated.status_code == 200, migrated.json
    assert migrated.json["definition_id"] == v2["id"]
    assert [t["activity_id"] for t in migrated.json["open_tasks"]] == ["wait"]
    assert client.delete(base, headers=auth["demo"]).json["state"] == "terminated"
