"""/engine-rest's task family through the Flask test client: Camunda 7's task query and its filters, the task
DTO, claim/unclaim/assignee, complete and submit-form with typed variables, form variables, rights and errors."""
from __future__ import annotations

import io

import pytest

from helpers import bpmn_document, flow, form_task_process, user_task_process

ROOT = "/engine-rest"
TWO_TASKS = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/>'
    '<bpmn:userTask id="review" name="Review" camunda:candidateGroups="finance" camunda:priority="80" '
    'camunda:dueDate="2030-01-01T10:00:00Z"/>'
    '<bpmn:userTask id="sign" name="Sign" camunda:assignee="alice" camunda:candidateUsers="bob"/>'
    '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "split") + flow("f2", "split", "review") + flow("f3", "split", "sign")
    + flow("f4", "review", "join") + flow("f5", "sign", "join") + flow("f6", "join", "end"), "contract")


def deploy(client, headers, name: str, contents: bytes) -> None:
    response = client.post(f"{ROOT}/deployment/create", headers=headers,
                           data={"deployment-name": name, name: (io.BytesIO(contents), name)})
    assert response.status_code == 200, response.json


def start(client, headers, key: str, business_key: str | None = None, variables: dict | None = None) -> str:
    response = client.post(f"{ROOT}/process-definition/key/{key}/start", headers=headers,
                           json={"businessKey": business_key, "variables": variables or {}})
    assert response.status_code == 200, response.json
    return response.json["id"]


def tasks(client, headers, **query) -> list[dict]:
    response = client.get(f"{ROOT}/task", headers=headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def contracts(client, auth):
    deploy(client, auth["demo"], "contract.bpmn", TWO_TASKS)
    return [start(client, auth["demo"], "contract", f"c-{n}") for n in range(3)]


def test_task_query_filters_paging_sorting_and_the_dto(client, auth, contracts):
    demo = auth["demo"]
    everything = tasks(client, demo)
    assert len(everything) == 6
    one = tasks(client, demo, processInstanceId=contracts[0], taskDefinitionKey="review")
    assert len(one) == 1
    dto = one[0]
    assert dto["name"] == "Review" and dto["processInstanceId"] == contracts[0] and dto["executionId"] == contracts[0]
    assert dto["priority"] == 80 and dto["due"] == "2030-01-01T10:00:00.000+0000" and dto["assignee"] is None
    assert dto["processDefinitionId"].startswith("contract:") and dto["suspended"] is False
    assert dto["tenantId"] is None and dto["created"].endswith("+0000") and dto["taskDefinitionKey"] == "review"
    assert tasks(client, demo, processInstanceBusinessKey="c-1", taskDefinitionKey="sign")[0]["assignee"] == "alice"
    assert len(tasks(client, demo, processDefinitionKey="contract", assignee="alice")) == 3
    assert len(tasks(client, demo, unassigned="true")) == 3
    assert len(tasks(client, demo, assigned="true")) == 3
    assert len(tasks(client, demo, candidateGroup="finance")) == 3
    # candidateUser: by name or through the user's groups; assigned tasks only with includeAssignedTasks.
    assert {t["taskDefinitionKey"] for t in tasks(client, demo, candidateUser="alice")} == {"review"}
    assert tasks(client, demo, candidateUser="bob") == []
    assert len(tasks(client, demo, candidateUser="bob", includeAssignedTasks="true")) == 3
    assert len(tasks(client, demo, dueBefore="2030-01-02T00:00:00.000+0000")) == 3
    assert tasks(client, demo, dueAfter="2030-01-02T00:00:00.000+0000") == []
    assert len(tasks(client, demo, minPriority="60")) == 3 and len(tasks(client, demo, maxPriority="50")) == 3
    assert len(tasks(client, demo, nameLike="Si%")) == 3
    ordered = tasks(client, demo, sortBy="priority", sortOrder="desc")
    assert [t["priority"] for t in ordered] == [80, 80, 80, 50, 50, 50]
    page = tasks(client, demo, sortBy="priority", sortOrder="desc", firstResult=2, maxResults=2)
    assert [t["id"] for t in page] == [t["id"] for t in ordered[2:4]]
    assert client.get(f"{ROOT}/task/count", headers=demo, query_string={"taskDefinitionKey": "sign"}).json == \
        {"count": 3}
    assert client.get(f"{ROOT}/task/{dto['id']}", headers=demo).json == dto


@pytest.mark.parametrize("query, why", [
    ({"sortBy": "priority"}, "sortOrder"), ({"dueBefore": "tomorrow"}, "dueBefore"),
    ({"unassigned": "yes"}, "unassigned"), ({"sortBy": "colour", "sortOrder": "asc"}, "colour"),
    ({"maxResults": "-1"}, "maxResults")])
def test_bad_query_parameters_are_400(client, auth, contracts, query, why):
    response = client.get(f"{ROOT}/task", headers=auth["demo"], query_string=query)
    assert response.status_code == 400 and response.json["type"] == "InvalidRequestException"
    assert why in response.json["message"]


def test_lists_show_only_tasks_of_instances_the_caller_may_read(client, auth, contracts):
    assert tasks(client, auth["carol"]) == []  # no task names carol or her groups, she started nothing
    assert client.get(f"{ROOT}/task/count", headers=auth["carol"]).json == {"count": 0}
    sign = tasks(client, auth["demo"], taskDefinitionKey="sign")[0]["id"]
    unknown = client.get(f"{ROOT}/task/{sign}", headers=auth["carol"])
    assert unknown.status_code == 404 and unknown.json["type"] == "InvalidRequestException"
    assert len(tasks(client, auth["alice"])) == 6  # assignee of one task, candidate of the other: reads both


def test_claim_unclaim_assignee(client, auth, contracts):
    review = tasks(client, auth["demo"], processInstanceId=contracts[0], taskDefinitionKey="review")[0]["id"]
    url = f"{ROOT}/task/{review}"
    refused = client.post(f"{url}/claim", headers=auth["bob"], json={"userId": "bob"})
    # bob reads the instance (he is a candidate of its other task) but is no candidate of this one
    assert refused.status_code == 403 and refused.json["type"] == "AuthorizationException"
    assert client.post(f"{url}/claim", headers=auth["alice"], json={"userId": "alice"}).status_code == 204
    assert client.get(url, headers=auth["alice"]).json["assignee"] == "alice"
    taken = client.post(f"{url}/claim", headers=auth["demo"], json={"userId": "demo"})
    assert taken.status_code == 409 and taken.json["type"] == "RestException"
    assert "already claimed" in taken.json["message"]
    assert client.post(f"{url}/unclaim", headers=auth["alice"]).status_code == 204
    assert client.get(url, headers=auth["alice"]).json["assignee"] is None
    for_someone = client.post(f"{url}/claim", headers=auth["alice"], json={"userId": "demo"})
    assert for_someone.status_code == 403 and for_someone.json["type"] == "AuthorizationException"
    assert client.post(f"{url}/claim", headers=auth["demo"], json={"userId": "alice"}).status_code == 204
    assert client.post(f"{url}/assignee", headers=auth["alice"], json={"userId": "demo"}).status_code == 204
    assert client.get(url, headers=auth["demo"]).json["assignee"] == "demo"
    assert client.post(f"{url}/assignee", headers=auth["demo"], json={"userId": None}).status_code == 204
    assert client.get(url, headers=auth["demo"]).json["assignee"] is None
    for body in ({}, {"userId": ""}, {"userId": 7}):
        bad = client.post(f"{url}/claim", headers=auth["demo"], json=body)
        assert bad.status_code == 400 and bad.json["type"] == "InvalidRequestException", body


def test_complete_with_typed_variables_and_variables_in_return(client, auth):
    deploy(client, auth["demo"], "approval.bpmn", user_task_process("approval"))
    instance = start(client, auth["demo"], "approval", variables={"amount": {"value": 3, "type": "Long"}})
    [task] = tasks(client, auth["demo"], processInstanceId=instance)
    seen = client.get(f"{ROOT}/task/{task['id']}/variables", headers=auth["alice"]).json
    assert seen == {"amount": {"type": "Long", "value": 3, "valueInfo": {}}}
    done = client.post(f"{ROOT}/task/{task['id']}/complete", headers=auth["alice"], json={
        "variables": {"approvedAt": {"value": "2024-05-01T09:30:00.000+0200", "type": "Date"},
                      "note": {"value": "ok"}}, "withVariablesInReturn": True})
    assert done.status_code == 200, done.json
    assert done.json["approvedAt"] == {"type": "Date", "value": "2024-05-01T09:30:00.000+0200", "valueInfo": {}}
    assert done.json["amount"]["type"] == "Long" and done.json["note"]["type"] == "String"
    gone = client.get(f"{ROOT}/task/{task['id']}", headers=auth["alice"])
    assert gone.status_code == 404 and gone.json["type"] == "InvalidRequestException"
    again = client.post(f"{ROOT}/task/{task['id']}/complete", headers=auth["alice"], json={})
    assert again.status_code == 404
    instance_after = client.get(f"/api/v1/process-instances/{instance}", headers=auth["demo"]).json
    assert instance_after["state"] == "completed" and instance_after["variables"]["note"] == "ok"


def test_complete_is_204_and_refused_to_who_may_not_work_on_it(client, auth):
    deploy(client, auth["demo"], "approval.bpmn", user_task_process("approval"))
    instance = start(client, auth["alice"], "approval")
    [task] = tasks(client, auth["alice"], processInstanceId=instance)
    refused = client.post(f"{ROOT}/task/{task['id']}/complete", headers=auth["carol"], json={})
    assert refused.status_code == 404  # carol may not even read it
    bad = client.post(f"{ROOT}/task/{task['id']}/complete", headers=auth["alice"],
                      json={"variables": {"n": {"value": "x", "type": "Integer"}}})
    assert bad.status_code == 400 and "Cannot set variable n" in bad.json["message"]
    not_an_object = client.post(f"{ROOT}/task/{task['id']}/complete", headers=auth["alice"], json={"variables": []})
    assert not_an_object.status_code == 400
    assert client.get(f"{ROOT}/task/{task['id']}", headers=auth["alice"]).status_code == 200  # nothing changed
    done = client.post(f"{ROOT}/task/{task['id']}/complete", headers=auth["alice"], json={})
    assert done.status_code == 204 and done.data == b""


def test_submit_form_checks_the_form_and_form_variables_are_typed(client, auth):
    deploy(client, auth["demo"], "order.bpmn", form_task_process("order"))
    instance = start(client, auth["demo"], "order")
    [task] = tasks(client, auth["demo"], processInstanceId=instance)
    url = f"{ROOT}/task/{task['id']}"
    assert client.get(f"{url}/form", headers=auth["alice"]).json == {
        "key": "generated", "contextPath": None, "camundaFormRef": None}
    fields = client.get(f"{url}/form-variables", headers=auth["alice"]).json
    assert fields == {"quantity": {"type": "Long", "value": None, "valueInfo": {}}}
    missing = client.post(f"{url}/submit-form", headers=auth["alice"], json={"variables": {}})
    assert missing.status_code == 400 and missing.json["type"] == "InvalidRequestException"
    assert client.get(url, headers=auth["alice"]).status_code == 200
    done = client.post(f"{url}/submit-form", headers=auth["alice"],
                       json={"variables": {"quantity": {"value": 4, "type": "Long"}}})
    assert done.status_code == 204, done.json


def test_every_task_route_is_in_the_openapi_document(app, client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/engine-rest/task", "/engine-rest/task/count", "/engine-rest/task/{task_id}",
                 "/engine-rest/task/{task_id}/claim", "/engine-rest/task/{task_id}/complete",
                 "/engine-rest/task/{task_id}/submit-form", "/engine-rest/task/{task_id}/form-variables"):
        assert path in paths, path
