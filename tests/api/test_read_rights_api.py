"""Read rights: an instance, its variables, history, diagram and tasks exist only for those who may read them."""
from __future__ import annotations

import pytest

from helpers import bpmn_document, deploy, flow, start, user_task_process

SECRET = {"card": "4111-1111-1111-1111"}


def waiting_instance(client, auth, starter: str, attributes: str = 'camunda:candidateGroups="sales"',
                     key: str = "p") -> dict:
    deploy(client, auth["demo"], (f"{key}.bpmn", user_task_process(key, attributes)))
    response = start(client, auth[starter], key, SECRET)
    assert response.status_code == 201, response.json
    return response.json


def read_urls(instance: dict) -> list[str]:
    base = f"/api/v1/process-instances/{instance['id']}"
    task = f"/api/v1/tasks/{instance['open_tasks'][0]['id']}"
    return [base, f"{base}/variables", f"{base}/history", f"{base}/history/verify", f"{base}/diagram", task]


def test_a_user_in_no_group_cannot_see_bobs_instance_on_any_read_endpoint(client, auth):
    instance = waiting_instance(client, auth, "bob")
    missing = client.get("/api/v1/process-instances/no-such-instance", headers=auth["carol"])
    for url in read_urls(instance):
        response = client.get(url, headers=auth["carol"])
        assert response.status_code == 404, url
        assert response.json["type"] == missing.json["type"] == "urn:fuse:problem:not-found"
        assert "card" not in response.get_data(as_text=True)
    xml = client.get(read_urls(instance)[4], headers={**auth["carol"], "Accept": "application/xml"})
    assert xml.status_code == 404
    task_url = read_urls(instance)[5]
    form = client.get(f"{task_url}/form", headers=auth["carol"])
    assert form.status_code == 404 and form.json["detail"] == f"task {task_url.rsplit('/', 1)[1]} does not exist"
    for action in ("claim", "unclaim", "complete"):
        assert client.post(f"{task_url}/{action}", json={}, headers=auth["carol"]).status_code == 404
    for control in ("suspend", "resume"):
        url = f"/api/v1/process-instances/{instance['id']}/{control}"
        assert client.post(url, headers=auth["carol"]).status_code == 404
    assert client.delete(f"/api/v1/process-instances/{instance['id']}", headers=auth["carol"]).status_code == 404
    listed = client.get("/api/v1/process-instances", headers=auth["carol"]).json
    assert listed["items"] == [] and listed["total"] == 0
    tasks = client.get(f"/api/v1/tasks?process_instance_id={instance['id']}", headers=auth["carol"]).json
    assert tasks["items"] == [] and tasks["total"] == 0


@pytest.mark.parametrize("reader", ["bob", "demo"])
def test_the_starter_and_an_admin_read_everything_of_the_instance(client, auth, reader):
    instance = waiting_instance(client, auth, "bob", 'camunda:candidateGroups="nobody"')
    for url in read_urls(instance):
        assert client.get(url, headers=auth[reader]).status_code == 200, url
    assert client.get(read_urls(instance)[1], headers=auth[reader]).json == SECRET
    listed = client.get("/api/v1/process-instances", headers=auth[reader]).json
    assert [i["id"] for i in listed["items"]] == [instance["id"]]


def test_a_candidate_group_member_and_a_candidate_user_read_it(client, auth):
    instance = waiting_instance(client, auth, "bob", 'camunda:candidateGroups="finance" camunda:candidateUsers="carol"')
    for reader in ("alice", "carol"):
        for url in read_urls(instance):
            assert client.get(url, headers=auth[reader]).status_code == 200, (reader, url)
    assert client.get(read_urls(instance)[0], headers=auth["robot"]).status_code == 404


def test_who_completed_a_task_keeps_reading_the_instance_after_it_moved_on(client, auth):
    two_steps = bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="a" camunda:assignee="carol"/>'
        '<bpmn:userTask id="b" camunda:candidateGroups="finance"/><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "a") + flow("f2", "a", "b") + flow("f3", "b", "end"), "two")
    deploy(client, auth["demo"], ("two.bpmn", two_steps))
    instance = start(client, auth["bob"], "two").json
    task = instance["open_tasks"][0]["id"]
    done = client.post(f"/api/v1/tasks/{task}/complete", json={"variables": {}}, headers=auth["carol"])
    assert done.status_code == 200
    url = f"/api/v1/process-instances/{instance['id']}"
    assert client.get(url, headers=auth["carol"]).json["open_tasks"][0]["activity_id"] == "b"
    assert client.get(f"/api/v1/tasks/{task}", headers=auth["carol"]).status_code == 200
    assert client.get(url, headers=auth["robot"]).status_code == 404


def grant(client, auth, **body):
    response = client.post("/api/v1/authorizations", json=body, headers=auth["demo"])
    assert response.status_code == 201, response.json
    return response.json


def test_a_grant_on_the_definition_makes_its_instances_readable_until_it_is_removed(client, auth):
    instance = waiting_instance(client, auth, "bob")
    other = waiting_instance(client, auth, "bob", key="other")
    url = f"/api/v1/process-instances/{instance['id']}"
    assert client.get(url, headers=auth["robot"]).status_code == 404
    given = grant(client, auth, resource_type="process_definition", resource_id="p", group_id="worker",
                  permissions=["READ"])
    assert client.get(f"{url}/variables", headers=auth["robot"]).json == SECRET
    assert client.get(f"/api/v1/process-instances/{other['id']}", headers=auth["robot"]).status_code == 404
    listed = client.get("/api/v1/process-instances", headers=auth["robot"]).json
    assert [i["id"] for i in listed["items"]] == [instance["id"]] and listed["total"] == 1
    assert client.delete(f"/api/v1/authorizations/{given['id']}", headers=auth["demo"]).status_code == 200
    assert client.get(url, headers=auth["robot"]).status_code == 404
    log = client.get("/api/v1/authorizations/log", headers=auth["demo"]).json
    assert [(e["action"], e["actor"], e["authorization"]["resource_id"]) for e in log] == [
        ("granted", "demo", "p"), ("removed", "demo", "p")]


def test_grants_on_one_instance_and_on_every_definition(client, auth):
    first = waiting_instance(client, auth, "bob")
    second = start(client, auth["bob"], "p").json
    grant(client, auth, resource_type="process_instance", resource_id=first["id"], user_id="carol",
          permissions=["READ"])
    assert client.get(f"/api/v1/process-instances/{first['id']}", headers=auth["carol"]).status_code == 200
    assert client.get(f"/api/v1/process-instances/{second['id']}", headers=auth["carol"]).status_code == 404
    grant(client, auth, resource_type="process_definition", resource_id="*", user_id="carol",
          permissions=["READ_INSTANCE"])
    assert client.get(f"/api/v1/process-instances/{second['id']}", headers=auth["carol"]).status_code == 200


def test_the_instance_list_is_filtered_before_paging_and_counting(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", user_task_process("p", 'camunda:candidateGroups="nobody"')))
    bobs = [start(client, auth["bob"], "p").json["id"] for _ in range(3)]
    alices = [start(client, auth["alice"], "p").json["id"] for _ in range(2)]
    page = client.get("/api/v1/process-instances?per_page=2", headers=auth["bob"]).json
    assert page["total"] == 3 and len(page["items"]) == 2
    second = client.get("/api/v1/process-instances?per_page=2&page=2", headers=auth["bob"]).json
    assert {i["id"] for i in page["items"] + second["items"]} == set(bobs)
    assert client.get("/api/v1/process-instances", headers=auth["alice"]).json["total"] == 2
    assert client.get("/api/v1/process-instances", headers=auth["demo"]).json["total"] == 5
    assert client.get("/api/v1/process-instances", headers=auth["carol"]).json["total"] == 0
    tasks = client.get("/api/v1/tasks?candidate_group=nobody", headers=auth["alice"]).json
    assert tasks["total"] == 2 and {t["process_instance_id"] for t in tasks["items"]} == set(alices)


def test_incidents_are_for_admins_only(client, auth):
    assert client.get("/api/v1/incidents", headers=auth["bob"]).status_code == 403
    assert client.get("/api/v1/incidents", headers=auth["demo"]).status_code == 200


def test_only_admins_manage_grants_and_bad_grants_are_refused(client, auth):
    body = {"resource_type": "process_definition", "resource_id": "p", "group_id": "sales", "permissions": ["READ"]}
    assert client.post("/api/v1/authorizations", json=body, headers=auth["bob"]).status_code == 403
    assert client.get("/api/v1/authorizations", headers=auth["bob"]).status_code == 403
    for bad in ({**body, "user_id": "carol"}, {**body, "group_id": None}, {**body, "permissions": []},
                {**body, "permissions": ["DELETE"]}, {**body, "resource_type": "task"},
                {**body, "resource_type": "process_instance", "permissions": ["CREATE_INSTANCE"]}):
        response = client.post("/api/v1/authorizations", json=bad, headers=auth["demo"])
        assert response.status_code == 400, bad
        assert response.content_type == "application/problem+json"
    for missing in ("999", "abc", "99999999999999999999"):
        assert client.delete(f"/api/v1/authorizations/{missing}", headers=auth["demo"]).status_code == 404
    made = grant(client, auth, **body)
    assert client.get("/api/v1/authorizations", headers=auth["demo"]).json == [made]
