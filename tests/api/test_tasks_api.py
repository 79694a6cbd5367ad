"""User tasks over REST: who sees them, claim, unclaim, assign, complete."""
from __future__ import annotations

from helpers import bpmn_document, deploy, flow, start, user_task_process


def open_task(client, auth, attributes: str) -> dict:
    deploy(client, auth["demo"], ("p.bpmn", user_task_process("p", attributes)))
    return start(client, auth["demo"], "p", {"owner": "carol"}).json["open_tasks"][0]


def task_ids(client, headers, query: str = "") -> list[str]:
    return [t["id"] for t in client.get(f"/api/v1/tasks{query}", headers=headers).json["items"]]


def test_candidate_group_members_see_and_claim_others_see_nothing(client, auth):
    task = open_task(client, auth, 'camunda:candidateGroups="finance"')
    assert task_ids(client, auth["alice"]) == [task["id"]]
    assert task_ids(client, auth["bob"]) == []
    # bob neither started the instance nor is a candidate: he may not read it, so it does not exist for him.
    assert task_ids(client, auth["bob"], "?candidate_group=finance") == []
    url = f"/api/v1/tasks/{task['id']}"
    assert client.post(f"{url}/claim", headers=auth["bob"]).status_code == 404
    claimed = client.post(f"{url}/claim", headers=auth["alice"])
    assert claimed.status_code == 200 and claimed.json["assignee"] == "alice"
    assert client.post(f"{url}/claim", headers=auth["demo"]).status_code == 409
    assert client.post(f"{url}/complete", json={"variables": {}}, headers=auth["demo"]).status_code == 403
    assert task_ids(client, auth["demo"]) == []
    assert task_ids(client, auth["alice"], "?assignee=alice") == [task["id"]]
    unclaimed = client.post(f"{url}/unclaim", headers=auth["alice"])
    assert unclaimed.json["assignee"] is None
    done = client.post(f"{url}/complete", json={"variables": {"ok": True}}, headers=auth["demo"])
    assert done.status_code == 200 and done.json["state"] == "completed"
    assert client.post(f"{url}/complete", json={}, headers=auth["demo"]).status_code == 409
    completed = client.get("/api/v1/tasks?state=completed&assignee=demo", headers=auth["demo"]).json["items"]
    assert [(t["id"], t["state"]) for t in completed] == [(task["id"], "completed")]


def test_assignee_expression_and_candidate_users(client, auth):
    task = open_task(client, auth, 'camunda:assignee="${owner}" camunda:candidateUsers="bob, alice"')
    assert task["assignee"] == "carol"
    assert task["candidate_users"] == ["alice", "bob"]
    url = f"/api/v1/tasks/{task['id']}"
    assert client.post(f"{url}/complete", json={}, headers=auth["bob"]).status_code == 403
    assert client.post(f"{url}/assign", json={"user": "bob"}, headers=auth["alice"]).status_code == 403
    delegated = client.post(f"{url}/assign", json={"user": "bob"}, headers=auth["carol"])
    assert delegated.status_code == 200 and delegated.json["assignee"] == "bob"
    assert client.post(f"{url}/assign", json={}, headers=auth["demo"]).status_code == 400
    assert client.post(f"{url}/assign", json={"user": "alice"}, headers=auth["demo"]).json["assignee"] == "alice"
    assert client.post(f"{url}/complete", json={"variables": {"x": 1}}, headers=auth["alice"]).status_code == 200


def test_due_date_and_form_key_are_kept(client, auth):
    task = open_task(client, auth, 'camunda:dueDate="2030-01-02T03:04:05Z" camunda:formKey="json:approve"')
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=auth["demo"]).json
    assert detail["due"] == "2030-01-02T03:04:05Z"
    assert detail["form_key"] == "json:approve"
    assert detail["variables"] == {"owner": "carol"}


def test_unresolvable_assignee_fails_the_instance_visibly(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", user_task_process("p", 'camunda:assignee="${nobody}"')))
    instance = start(client, auth["demo"], "p").json
    assert instance["state"] == "failed"
    assert "nobody" in instance["error"]["message"]


def test_a_user_task_sees_its_input_parameters_and_the_process_gets_its_own_values_back(client, auth):
    inputs = ('<bpmn:extensionElements><camunda:inputOutput>'
              '<camunda:inputParameter name="owner">${owner.toUpperCase()}</camunda:inputParameter>'
              '<camunda:inputParameter name="hint">check the receipt</camunda:inputParameter>'
              '</camunda:inputOutput></bpmn:extensionElements>')
    model = bpmn_document(f'<bpmn:startEvent id="start"/><bpmn:userTask id="approve">{inputs}</bpmn:userTask>'
                          '<bpmn:endEvent id="end"/>' + flow("f1", "start", "approve") + flow("f2", "approve", "end"))
    deploy(client, auth["demo"], ("p.bpmn", model))
    [task] = start(client, auth["demo"], "p", {"owner": "carol"}).json["open_tasks"]
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=auth["demo"]).json
    assert detail["variables"] == {"owner": "CAROL", "hint": "check the receipt"}  # the task's own view
    instance = client.get(f"/api/v1/process-instances/{task['process_instance_id']}", headers=auth["demo"]).json
    assert instance["variables"] == {"owner": "carol"}  # the process's view: locals hidden, nothing shadowed
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"variables": {"ok": True}},
                       headers=auth["demo"]).json
    assert done["variables"] == {"owner": "carol", "ok": True}


def test_the_task_list_is_paged_like_the_instance_list(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", user_task_process("p", "")))
    started = [start(client, auth["demo"], "p").json["open_tasks"][0]["id"] for _ in range(3)]
    first = client.get("/api/v1/tasks?per_page=2", headers=auth["demo"]).json
    assert {k: first[k] for k in ("total", "page", "per_page")} == {"total": 3, "page": 1, "per_page": 2}
    rest = client.get("/api/v1/tasks?per_page=2&page=2", headers=auth["demo"]).json
    assert [t["id"] for t in first["items"] + rest["items"]] == started
    assert all("variables" in t for t in first["items"])
    for query in ("per_page=0", "per_page=501", "page=0", "page=x"):
        refused = client.get(f"/api/v1/tasks?{query}", headers=auth["demo"])
        assert refused.status_code == 400 and refused.json["type"] == "urn:fuse:problem:bad-request", query


def test_the_openapi_document_describes_the_task_page(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/tasks"]["get"]
    assert {"page", "per_page"} <= {p["name"] for p in operation["parameters"]}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"items", "total", "page", "per_page"} <= set(page["properties"])
