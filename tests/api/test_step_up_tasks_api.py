"""Step-up on user tasks through the API: the task JSON shows what the task asks; completing without it is a
403 step-up-required problem with `missing` and where to sign in again (nothing changes, the refusal is in
the history); a policy's deny is the plain forbidden problem; bad property values fail the deployment."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from helpers import deploy
from step_up_models import step_up_files

PROBLEM = "urn:fuse:problem:step-up-required"


def started(client, auth, properties: dict, variables: dict | None = None, zeebe: bool = False) -> tuple[str, str]:
    assert deploy(client, auth["demo"], *step_up_files(properties, zeebe).items()).status_code == 201
    body = {"definition_key": "stepup", "variables": variables or {}}
    instance = client.post("/api/v1/process-instances", json=body, headers=auth["bob"]).json
    [task] = instance["open_tasks"]
    return instance["id"], task["id"]


def history(client, auth, instance_id: str, kind: str) -> list[dict]:
    return [e["data"] for e in client.get(f"/api/v1/process-instances/{instance_id}/history",
                                          headers=auth["demo"]).json if e["type"] == kind]


def test_the_task_json_shows_its_requirements(client, auth):
    _, task_id = started(client, auth, {"fuse.stepUp.maxAuthAgeMinutes": "10", "fuse.stepUp.secondFactor": "true",
                                        "fuse.stepUp.groups": "finance", "fuse.stepUp.policy": "approval.policy.json"},
                         {"amount": 5, "requester": "bob"})
    task = client.get(f"/api/v1/tasks/{task_id}", headers=auth["alice"]).json
    assert task["step_up"] == {"max_auth_age_minutes": 10, "second_factor": True, "groups": ["finance"],
                               "policy": "approval.policy.json"}
    assert "step_up" not in client.get("/api/v1/tasks", headers=auth["alice"]).json["items"][0]


def test_a_task_without_requirements_has_a_null_step_up(client, auth):
    _, task_id = started(client, auth, {"other": "x"})
    assert client.get(f"/api/v1/tasks/{task_id}", headers=auth["alice"]).json["step_up"] is None


def test_an_api_token_without_a_second_factor_gets_the_step_up_problem(client, auth):
    instance_id, task_id = started(client, auth, {"fuse.stepUp.secondFactor": "true",
                                                  "fuse.stepUp.maxAuthAgeMinutes": "10"}, zeebe=True)
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"variables": {"ok": True}},
                           headers=auth["alice"])
    assert response.status_code == 403 and response.content_type == "application/problem+json"
    body = response.json
    assert body["type"] == PROBLEM and body["status"] == 403
    # An API token proves who calls on every request (its auth_time is now); it has no second factor.
    assert body["missing"] == [{"requirement": "second_factor"}]
    url = urlsplit(body["reauthenticate"])
    assert url.path == "/login"
    assert parse_qs(url.query) == {"next": [f"/tasks/{task_id}"], "max_age": ["0"], "second_factor": ["1"]}
    instance = client.get(f"/api/v1/process-instances/{instance_id}", headers=auth["demo"]).json
    assert instance["state"] == "active" and "ok" not in instance["variables"]
    assert [t["id"] for t in instance["open_tasks"]] == [task_id]
    [refusal] = history(client, auth, instance_id, "step_up_required")
    assert refusal == {"task_id": task_id, "user": "alice", "missing": body["missing"]}


def test_a_policy_step_up_lists_the_policy_and_what_it_requires(client, auth):
    instance_id, task_id = started(client, auth, {"fuse.stepUp.policy": "approval.policy.json"},
                                   {"amount": 1500, "requester": "bob"})
    body = client.post(f"/api/v1/tasks/{task_id}/complete", json={"variables": {}}, headers=auth["alice"]).json
    assert body["type"] == PROBLEM
    assert body["missing"][0] == {"requirement": "policy", "policy": "approval.policy.json",
                                  "reasons": ["refunds over 1000 need a recent second factor"]}
    assert body["missing"][1:] == [{"requirement": "auth_within_minutes", "value": 10},
                                   {"requirement": "second_factor"}]
    assert parse_qs(urlsplit(body["reauthenticate"]).query)["max_age"] == ["600"]
    assert "second_factor=1" in body["reauthenticate"]
    [verdict] = history(client, auth, instance_id, "policy_evaluated")
    assert verdict["decision"] == "step_up" and verdict["person"]["user"] == "alice"


def test_a_policy_deny_is_the_forbidden_problem_with_its_reasons(client, auth):
    instance_id, task_id = started(client, auth, {"fuse.stepUp.policy": "approval.policy.json"},
                                   {"amount": 10, "requester": "alice"})
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"variables": {}}, headers=auth["alice"])
    assert response.status_code == 403
    assert response.json["type"] == "urn:fuse:problem:forbidden"
    assert response.json["reasons"] == ["nobody approves their own refund"] and "missing" not in response.json
    [verdict] = history(client, auth, instance_id, "policy_evaluated")
    assert verdict["decision"] == "deny"


def test_a_policy_allow_completes(client, auth):
    instance_id, task_id = started(client, auth, {"fuse.stepUp.policy": "approval.policy.json",
                                                  "fuse.stepUp.groups": "finance"}, {"amount": 10, "requester": "bob"})
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"variables": {}}, headers=auth["alice"])
    assert response.status_code == 200 and response.json["state"] == "completed"
    assert [v["decision"] for v in history(client, auth, instance_id, "policy_evaluated")] == ["allow"]


def test_a_missing_group_is_a_step_up(client, auth):
    _, task_id = started(client, auth, {"fuse.stepUp.groups": "audit"})
    body = client.post(f"/api/v1/tasks/{task_id}/complete", json={"variables": {}}, headers=auth["alice"]).json
    assert body["missing"] == [{"requirement": "group", "value": "audit"}]
    assert parse_qs(urlsplit(body["reauthenticate"]).query)["max_age"] == ["0"]


def test_bad_values_fail_the_deployment_naming_the_element(client, auth):
    response = deploy(client, auth["demo"], *step_up_files({"fuse.stepUp.secondFactor": "maybe"}).items())
    assert response.status_code == 422 and response.json["type"] == "urn:fuse:problem:invalid-model"
    [error] = response.json["errors"]
    assert error["element_id"] == "approve" and "fuse.stepUp.secondFactor" in error["message"]
