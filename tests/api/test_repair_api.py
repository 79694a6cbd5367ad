"""Repair over REST: admins only, a reason always, problems that name what is wrong."""
from __future__ import annotations

from helpers import bpmn_document, deploy, flow, script_task, start

PROBLEM = "application/problem+json"

# start -> divide (y = 10 / z) -> review (user) -> end
DIVIDE = bpmn_document('<bpmn:startEvent id="start"/>' + script_task("divide", "y = 10 / z")
                       + '<bpmn:userTask id="review"/><bpmn:endEvent id="end"/>' + flow("f1", "start", "divide")
                       + flow("f2", "divide", "review") + flow("f3", "review", "end"), "divide")


def two_tasks(first: str, second: str, key: str = "steps") -> bytes:
    return bpmn_document(f'<bpmn:startEvent id="start"/><bpmn:userTask id="{first}"/><bpmn:userTask id="{second}"/>'
                         '<bpmn:endEvent id="end"/>' + flow("f1", "start", first) + flow("f2", first, second)
                         + flow("f3", second, "end"), key)


def url(instance_id: str, action: str = "") -> str:
    return f"/api/v1/process-instances/{instance_id}" + (f"/{action}" if action else "")


def history(client, headers, instance_id: str) -> list[dict]:
    return client.get(url(instance_id, "history"), headers=headers).json


def complete(client, headers, instance: dict, activity_id: str, variables: dict | None = None) -> dict:
    task = next(t for t in instance["open_tasks"] if t["activity_id"] == activity_id)
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"variables": variables or {}}, headers=headers)
    assert done.status_code == 200, done.json
    return client.get(url(instance["id"]), headers=headers).json


def test_retry_after_patching_the_variable_that_broke_a_script(client, auth):
    deploy(client, auth["demo"], ("divide.bpmn", DIVIDE))
    failed = start(client, auth["demo"], "divide", {"z": 0}).json
    assert failed["state"] == "failed" and failed["error"]["activity_id"] == "divide"
    client.patch(url(failed["id"], "variables"), json={"z": 4}, headers=auth["demo"])
    retried = client.post(url(failed["id"], "retry"), json={"reason": "z was zero"}, headers=auth["demo"])
    assert retried.status_code == 200
    assert retried.json["state"] == "active" and retried.json["variables"]["y"] == 2.5
    assert [t["activity_id"] for t in retried.json["open_tasks"]] == ["review"]
    [event] = [e for e in history(client, auth["demo"], failed["id"]) if e["type"] == "instance_retried"]
    assert event["actor"] == "demo" and event["data"]["reason"] == "z was zero"
    again = client.post(url(failed["id"], "retry"), json={"reason": "again"}, headers=auth["demo"])
    assert again.status_code == 409 and again.content_type == PROBLEM


def test_repairs_are_for_admins_and_need_a_reason(client, auth):
    deploy(client, auth["demo"], ("steps.bpmn", two_tasks("one", "two")))
    instance = start(client, auth["demo"], "steps").json
    bodies = {"retry": {}, "move": {"from_activity_id": "one", "to_activity_id": "two"},
              "rewind": {"to_activity_id": "one"}, "migrate": {"to_definition_id": instance["definition_id"]}}
    for action, body in bodies.items():
        forbidden = client.post(url(instance["id"], action), json={**body, "reason": "mine"}, headers=auth["alice"])
        assert forbidden.status_code == 403 and forbidden.json["type"] == "urn:fuse:problem:forbidden", action
        for reason in ({}, {"reason": "  "}, {"reason": None}):
            missing = client.post(url(instance["id"], action), json={**body, **reason}, headers=auth["demo"])
            assert missing.status_code == 422, (action, reason)
            assert missing.json["type"] == "urn:fuse:problem:validation-failed" and missing.json["field"] == "reason"
    assert client.post(url("no-such-instance", "retry"), json={"reason": "r"}, headers=auth["demo"]).status_code == 404
    after = client.get(url(instance["id"]), headers=auth["demo"]).json
    assert after["state"] == "active" and [a["activity_id"] for a in after["active_activities"]] == ["one"]
    assert not [e for e in history(client, auth["demo"], instance["id"]) if "reason" in (e["data"] or {})]


def test_move_skips_forward_and_names_what_is_wrong(client, auth):
    deploy(client, auth["demo"], ("steps.bpmn", two_tasks("one", "two")))
    instance = start(client, auth["demo"], "steps").json
    move = url(instance["id"], "move")
    wrong = client.post(move, json={"from_activity_id": "two", "to_activity_id": "one", "reason": "r"},
                        headers=auth["demo"])
    assert wrong.status_code == 422 and wrong.json["activity_id"] == "two" and "no token" in wrong.json["detail"]
    unknown = client.post(move, json={"from_activity_id": "one", "to_activity_id": "three", "reason": "r"},
                          headers=auth["demo"])
    assert unknown.status_code == 422 and unknown.json["activity_id"] == "three"
    shapeless = client.post(move, json={"to_activity_id": "two", "reason": "r"}, headers=auth["demo"])
    assert shapeless.status_code == 400
    moved = client.post(move, json={"from_activity_id": "one", "to_activity_id": "two", "reason": "done on paper"},
                        headers=auth["demo"])
    assert moved.status_code == 200 and [t["activity_id"] for t in moved.json["open_tasks"]] == ["two"]
    done = complete(client, auth["demo"], moved.json, "two")
    assert done["state"] == "completed"
    ended = client.post(move, json={"from_activity_id": "two", "to_activity_id": "one", "reason": "r"},
                        headers=auth["demo"])
    assert ended.status_code == 409


def test_rewind_restores_the_variables_of_the_earlier_task(client, auth):
    deploy(client, auth["demo"], ("steps.bpmn", two_tasks("one", "two")))
    instance = start(client, auth["demo"], "steps", {"amount": 10}).json
    at_two = complete(client, auth["demo"], instance, "one", {"amount": 99, "approved": True})
    assert at_two["variables"] == {"amount": 99, "approved": True}
    rewound = client.post(url(instance["id"], "rewind"), json={"to_activity_id": "one", "reason": "typo"},
                          headers=auth["demo"])
    assert rewound.status_code == 200
    assert rewound.json["variables"] == {"amount": 10}
    assert [t["activity_id"] for t in rewound.json["open_tasks"]] == ["one"]
    never = client.post(url(instance["id"], "rewind"), json={"to_activity_id": "end", "reason": "r"},
                        headers=auth["demo"])
    assert never.status_code == 422 and never.json["activity_id"] == "end"


def test_migrate_a_suspended_instance_with_a_mapping(client, auth):
    [v1] = deploy(client, auth["demo"], ("v1.bpmn", two_tasks("one", "two"))).json["definitions"]
    instance = start(client, auth["demo"], "steps").json
    [v2] = deploy(client, auth["demo"], ("v2.bpmn", two_tasks("first", "second"))).json["definitions"]
    migrate = url(instance["id"], "migrate")
    active = client.post(migrate, json={"to_definition_id": v2["id"], "reason": "r"}, headers=auth["demo"])
    assert active.status_code == 409
    client.post(url(instance["id"], "suspend"), headers=auth["demo"])
    refused = client.post(migrate, json={"to_definition_id": v2["id"], "reason": "r"}, headers=auth["demo"])
    assert refused.status_code == 422 and any("one" in r for r in refused.json["reasons"])
    missing = client.post(migrate, json={"to_definition_id": "steps:9:nope", "reason": "r"}, headers=auth["demo"])
    assert missing.status_code == 404
    migrated = client.post(migrate, json={"to_definition_id": v2["id"], "mapping": {"one": "first"},
                                          "reason": "release 2"}, headers=auth["demo"])
    assert migrated.status_code == 200
    assert migrated.json["definition_id"] == v2["id"] and migrated.json["state"] == "suspended"
    assert [t["activity_id"] for t in migrated.json["open_tasks"]] == ["first"]
    [event] = [e for e in history(client, auth["demo"], instance["id"]) if e["type"] == "instance_migrated"]
    assert event["data"]["before"]["definition_id"] == v1["id"] and event["data"]["mapping"] == {"one": "first"}
    resumed = client.post(url(instance["id"], "resume"), headers=auth["demo"]).json
    at_second = complete(client, auth["demo"], resumed, "first")
    assert [t["activity_id"] for t in at_second["open_tasks"]] == ["second"]


def test_repair_endpoints_are_documented(client, auth):
    spec = client.get("/api/v1/openapi.json").json
    for action in ("retry", "move", "rewind", "migrate"):
        operation = spec["paths"][f"/api/v1/process-instances/{{instance_id}}/{action}"]["post"]
        assert {"403", "409", "422"} <= set(operation["responses"])
        assert "requestBody" in operation
