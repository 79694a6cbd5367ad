"""Messages reaching a multi-instance sub-process: its interrupting boundary event, and one message
that several of its waiting instances take at once."""
from __future__ import annotations

import pytest

from helpers import REPRO, ROOT, deploy, start

PARALLEL = ("miBoundary", REPRO / "mi-subprocess-message-boundary.bpmn")
SEQUENTIAL = ("miBoundarySeq", ROOT / "tests" / "fixtures" / "mi-sequential-subprocess-message-boundary.bpmn")


def send(client, headers, name: str):
    return client.post("/api/v1/messages", json={"name": name}, headers=headers)


def instance(client, headers, instance_id: str) -> dict:
    return client.get(f"/api/v1/process-instances/{instance_id}", headers=headers).json


def history(client, headers, instance_id: str) -> list[dict]:
    return client.get(f"/api/v1/process-instances/{instance_id}/history", headers=headers).json


def started(client, auth, model) -> str:
    key, path = model
    assert deploy(client, auth["demo"], (path.name, path.read_bytes())).status_code == 201
    return start(client, auth["demo"], key, {"items": ["a", "b"]}).json["id"]


@pytest.mark.parametrize("model", [PARALLEL, SEQUENTIAL], ids=["parallel", "sequential"])
def test_boundary_message_cancels_the_multi_instance_sub_process(client, auth, model):
    instance_id = started(client, auth, model)
    response = send(client, auth["bob"], "CANCEL")
    assert response.status_code == 200 and response.json["delivered"] == [instance_id]
    after = instance(client, auth["demo"], instance_id)
    assert after["state"] == "completed" and after["active_activities"] == []
    events = history(client, auth["demo"], instance_id)
    reached = [e["activity_id"] for e in events if e["type"] == "activity_completed"]
    assert "e2" in reached and "e" not in reached
    assert ("wait", "activity_cancelled") in [(e["activity_id"], e["type"]) for e in events]
    assert send(client, auth["bob"], "INNER").status_code == 404  # nothing waits inside any more


def test_one_message_reaches_every_instance_of_the_sub_process_waiting_for_it(client, auth):
    instance_id = started(client, auth, PARALLEL)
    response = send(client, auth["bob"], "INNER")
    assert response.status_code == 200 and response.json["delivered"] == [instance_id]
    after = instance(client, auth["demo"], instance_id)
    assert after["state"] == "completed"
    events = history(client, auth["demo"], instance_id)
    assert [e["activity_id"] for e in events if e["type"] == "message_received"] == ["wait", "wait"]
    reached = [e["activity_id"] for e in events if e["type"] == "activity_completed"]
    assert "e" in reached and "e2" not in reached


def test_one_signal_reaches_every_waiting_point_of_an_instance(client, auth):
    key, path = PARALLEL
    signalled = path.read_bytes().replace(b'<bpmn:messageEventDefinition messageRef="mInner"/>',
                                          b'<bpmn:signalEventDefinition signalRef="sInner"/>')
    signalled = signalled.replace(b"</bpmn:definitions>", b'<bpmn:signal id="sInner" name="INNER"/></bpmn:definitions>')
    assert deploy(client, auth["demo"], ("s.bpmn", signalled)).status_code == 201
    instance_id = start(client, auth["demo"], key, {"items": ["a", "b"]}).json["id"]
    response = client.post("/api/v1/signals", json={"name": "INNER"}, headers=auth["bob"])
    assert response.status_code == 200 and response.json["delivered"] == [instance_id]
    assert instance(client, auth["demo"], instance_id)["state"] == "completed"
