"""Instances over REST: start, list, variables, control, history."""
from __future__ import annotations

import pytest

from helpers import bpmn_document, deploy, flow, one_script_process, start, user_task_process


@pytest.fixture
def deployed(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", user_task_process("p")), ("s.bpmn", one_script_process("y = x * 2", "s")))


def test_start_runs_to_the_first_wait_state(client, auth, deployed):
    response = start(client, auth["bob"], "p", {"amount": 5}, business_key="order-1")
    assert response.status_code == 201
    body = response.json
    assert body["state"] == "active" and body["business_key"] == "order-1"
    assert body["active_activities"] == [{"activity_id": "approve", "name": "Approve", "type": "userTask"}]
    assert [t["activity_id"] for t in body["open_tasks"]] == ["approve"]
    done = start(client, auth["bob"], "s", {"x": 21}).json
    assert done["state"] == "completed" and done["variables"] == {"x": 21, "y": 42}
    assert done["ended_at"]


def test_start_by_definition_id_and_bad_requests(client, auth, deployed):
    definition = client.get("/api/v1/process-definitions?key=s", headers=auth["bob"]).json[0]
    by_id = client.post("/api/v1/process-instances", json={"definition_id": definition["id"], "variables": {"x": 1}},
                        headers=auth["bob"])
    assert by_id.status_code == 201 and by_id.json["definition_id"] == definition["id"]
    assert start(client, auth["bob"], "missing").status_code == 404
    both = client.post("/api/v1/process-instances", json={"definition_key": "s", "definition_id": definition["id"]},
                       headers=auth["bob"])
    assert both.status_code == 400
    not_object = client.post("/api/v1/process-instances", json={"definition_key": "s", "variables": [1]},
                             headers=auth["bob"])
    assert not_object.status_code == 400
    assert client.post("/api/v1/process-instances", data="nope", headers=auth["bob"]).status_code == 400


def test_list_filters_and_pages(client, auth, deployed):
    for n in range(3):
        start(client, auth["bob"], "p", business_key=f"k{n}")
    start(client, auth["bob"], "s", {"x": 1})
    page = client.get("/api/v1/process-instances?definition_key=p&per_page=2&page=1", headers=auth["bob"]).json
    assert page["total"] == 3 and len(page["items"]) == 2 and page["per_page"] == 2
    rest = client.get("/api/v1/process-instances?definition_key=p&per_page=2&page=2", headers=auth["bob"]).json
    assert len(rest["items"]) == 1
    assert {i["id"] for i in page["items"]}.isdisjoint({i["id"] for i in rest["items"]})
    completed = client.get("/api/v1/process-instances?state=completed", headers=auth["bob"]).json
    assert [i["definition_key"] for i in completed["items"]] == ["s"]
    by_key = client.get("/api/v1/process-instances?business_key=k1", headers=auth["bob"]).json
    assert [i["business_key"] for i in by_key["items"]] == ["k1"]
    assert client.get("/api/v1/process-instances?state=sleeping", headers=auth["bob"]).status_code == 400


def test_variables_are_read_and_merged(client, auth, deployed):
    instance = start(client, auth["bob"], "p", {"amount": 5, "note": "a"}).json
    url = f"/api/v1/process-instances/{instance['id']}/variables"
    assert client.get(url, headers=auth["bob"]).json == {"amount": 5, "note": "a"}
    patched = client.patch(url, json={"note": "b", "extra": [1, 2]}, headers=auth["bob"])
    assert patched.status_code == 200
    assert patched.json == {"amount": 5, "note": "b", "extra": [1, 2]}
    assert client.patch(url, json={"x": 1}, headers=auth["alice"]).status_code == 403
    assert client.patch(url, json=[1], headers=auth["bob"]).status_code == 400
    # The merged values reach the task and what runs after it.
    task = instance["open_tasks"][0]["id"]
    assert client.get(f"/api/v1/tasks/{task}", headers=auth["bob"]).json["variables"]["note"] == "b"
    history = client.get(f"/api/v1/process-instances/{instance['id']}/history", headers=auth["bob"]).json
    change = [e for e in history if e["type"] == "variables_changed"][-1]
    assert change["actor"] == "bob" and change["data"]["before"] == {"note": "a"}


def test_suspend_resume_terminate_are_recorded_with_who_and_why(client, auth, deployed):
    instance = start(client, auth["bob"], "p", {"amount": 7}).json
    base = f"/api/v1/process-instances/{instance['id']}"
    assert client.post(f"{base}/suspend?reason=audit", headers=auth["alice"]).status_code == 403
    assert client.post(f"{base}/suspend?reason=audit", headers=auth["bob"]).json["state"] == "suspended"
    assert client.post(f"{base}/suspend", headers=auth["bob"]).status_code == 409
    task = instance["open_tasks"][0]["id"]
    blocked = client.post(f"/api/v1/tasks/{task}/complete", json={}, headers=auth["demo"])
    assert blocked.status_code == 409
    assert client.post(f"{base}/resume", headers=auth["demo"]).json["state"] == "active"
    ended = client.delete(f"{base}?reason=duplicate", headers=auth["demo"])
    assert ended.status_code == 200 and ended.json["state"] == "terminated" and ended.json["open_tasks"] == []
    assert ended.json["variables"] == instance["variables"] and ended.json["ended_at"]
    assert client.delete(base, headers=auth["demo"]).status_code == 409
    history = client.get(f"{base}/history", headers=auth["bob"]).json
    control = [(e["type"], e["actor"], (e["data"] or {}).get("reason")) for e in history
               if e["type"].startswith("instance_") and e["type"] != "instance_started"]
    assert control == [("instance_suspended", "bob", "audit"), ("instance_resumed", "demo", None),
                       ("instance_terminated", "demo", "duplicate")]
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
    assert client.get(f"/api/v1/tasks/{task}", headers=auth["demo"]).json["state"] == "cancelled"


EVENT_SUB_PROCESS = ('<bpmn:subProcess id="cancelled" triggeredByEvent="true"><bpmn:startEvent id="cancel">'
                     '<bpmn:signalEventDefinition signalRef="cancel_signal"/></bpmn:startEvent><bpmn:endEvent id="gone"/>'
                     + flow("f_cancel", "cancel", "gone") + '</bpmn:subProcess>')


def event_start_process(process_id: str, *starts: str, body: str = "") -> bytes:
    """Start events of the given kinds ("message", "signal", "timer", "none") all leading to user task 'approve'."""
    definitions = {"message": '<bpmn:messageEventDefinition messageRef="m_{id}"/>',
                   "signal": '<bpmn:signalEventDefinition signalRef="s_{id}"/>', "none": "",
                   "timer": '<bpmn:timerEventDefinition><bpmn:timeDate>2099-01-01T00:00:00Z</bpmn:timeDate>'
                            '</bpmn:timerEventDefinition>'}
    extra = '<bpmn:signal id="cancel_signal" name="cancel"/>'
    for index, kind in enumerate(starts):
        start_id = f"{kind}_start_{index}"
        body += (f'<bpmn:startEvent id="{start_id}">{definitions[kind].format(id=start_id)}</bpmn:startEvent>'
                 + flow(f"f_{start_id}", start_id, "approve"))
        if kind == "message":
            extra += f'<bpmn:message id="m_{start_id}" name="{process_id}_{start_id}"/>'
        if kind == "signal":
            extra += f'<bpmn:signal id="s_{start_id}" name="{process_id}_{start_id}"/>'
    body += '<bpmn:userTask id="approve"/><bpmn:endEvent id="end"/>' + flow("f_end", "approve", "end")
    return bpmn_document(body, process_id, extra=extra)


def test_a_process_started_only_by_events_is_refused_naming_its_start_events(client, auth):
    deployed = deploy(client, auth["demo"], ("e.bpmn", event_start_process("events", "message", "signal")),
                      ("m.bpmn", event_start_process("messages", "message", "message")))
    assert deployed.status_code == 201, deployed.json
    for key, named in (("events", ["message_start_0", "signal_start_1"]),
                       ("messages", ["message_start_0", "message_start_1"])):
        refused = start(client, auth["bob"], key)
        assert refused.status_code == 409 and refused.content_type == "application/problem+json"
        assert refused.json["type"] == "urn:fuse:problem:conflict"
        assert refused.json["start_events"] == named and all(n in refused.json["detail"] for n in named)
    assert client.get("/api/v1/process-instances", headers=auth["demo"]).json["total"] == 0


@pytest.mark.parametrize("kind", ["message", "signal", "timer"])
def test_a_process_with_one_event_start_started_by_hand_leaves_through_it_as_in_camunda_7(client, auth, kind):
    # The event sub-process waits for its own event: it does not hold the start back.
    deploy(client, auth["demo"], ("e.bpmn", event_start_process("single", kind, body=EVENT_SUB_PROCESS)))
    started = start(client, auth["bob"], "single", {"amount": 5})
    assert started.status_code == 201, started.json
    assert [t["activity_id"] for t in started.json["open_tasks"]] == ["approve"]
    assert started.json["variables"] == {"amount": 5}


@pytest.mark.parametrize("by_hand", ["none", "timer"])
def test_a_none_or_timer_start_beside_event_starts_is_the_one_started_by_hand(client, auth, by_hand):
    deploy(client, auth["demo"], ("e.bpmn", event_start_process("mixed", "message", by_hand, "signal")))
    started = start(client, auth["bob"], "mixed")
    assert started.status_code == 201 and [t["activity_id"] for t in started.json["open_tasks"]] == ["approve"]
    assert [a["activity_id"] for a in started.json["active_activities"]] == ["approve"]
