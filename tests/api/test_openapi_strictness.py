"""The OpenAPI document states what the server enforces, and the server enforces what it states (issue 13,
hole 9): required fields, exactly one of two, ordered dates, accepted file names, strict booleans, bounds, and
every status a route answers (with the media type of its body). The schemathesis run in
tests/e2e/test_e2e_openapi_fuzz.py checks the same against generated requests; these pin the cases by name."""
from __future__ import annotations

import io

import pytest

from api.schemas import BUSINESS_KEY_MAX, DEPLOYMENT_NAME_MAX
from engine.deployment.checks import ACCEPTED_SUFFIXES, MAX_FILE_NAME
from helpers import deploy, start, user_task_process

PROBLEM = "application/problem+json"


@pytest.fixture
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def component(document: dict, reference: dict) -> dict:
    return document["components"]["schemas"][reference["$ref"].rsplit("/", 1)[1]]


def body_schema(document: dict, path: str, method: str = "post", media_type: str = "application/json") -> dict:
    return component(document, document["paths"][path][method]["requestBody"]["content"][media_type]["schema"])


def refused(response, field: str) -> None:
    """A 400 problem whose `errors` and detail name the field."""
    assert response.status_code == 400 and response.content_type == PROBLEM, response.get_data(as_text=True)
    assert field in response.json["errors"] and field in response.json["detail"], response.json


@pytest.mark.parametrize("path", ["/api/v1/process-instances", "/api/v1/tasks", "/api/v1/me", "/healthz", "/metrics",
                                  "/api/v1/authorizations/log", "/api/v1/process-instances/x/suspend", "/login"])
def test_every_405_says_which_methods_are_allowed(client, auth, path):
    allowed = {rule_method for rule in client.application.url_map.iter_rules() if rule.rule.replace(
        "<instance_id>", "x") == path for rule_method in rule.methods}
    answer = client.put(path, headers=auth["demo"])
    assert answer.status_code == 405 and answer.content_type == PROBLEM, answer.get_data(as_text=True)
    assert answer.json["type"] == "urn:fuse:problem:method-not-allowed"
    assert set(answer.headers["Allow"].split(", ")) == allowed and "PUT" not in allowed


def test_a_grant_id_is_a_number_so_its_route_does_not_swallow_the_log(client, auth):
    answer = client.delete("/api/v1/authorizations/log", headers=auth["demo"])
    assert answer.status_code == 405 and set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.delete("/api/v1/authorizations/12345", headers=auth["demo"]).status_code == 404


def test_force_and_other_booleans_are_true_or_false_only(client, auth, document):
    assert document["components"]["schemas"]["StartInstance"]["properties"]["force"]["type"] == "boolean"
    deploy(client, auth["demo"], ("p.bpmn", user_task_process()))
    for force in (0, 1, "true", "yes", None):
        refused(client.post("/api/v1/process-instances", json={"definition_key": "p", "force": force},
                            headers=auth["demo"]), "force")
    assert client.post("/api/v1/process-instances", json={"definition_key": "p", "force": False},
                       headers=auth["demo"]).status_code == 201
    refused(client.post("/api/v1/messages", json={"name": "m", "all": 1}, headers=auth["demo"]), "all")
    for query in ("latest=1", "latest=yes", "startable=True", "startable="):
        refused(client.get(f"/api/v1/process-definitions?{query}", headers=auth["demo"]), query.split("=")[0])
    refused(client.get("/api/v1/tasks?overdue=on", headers=auth["demo"]), "overdue")
    assert client.get("/api/v1/process-definitions?latest=true&startable=false",
                      headers=auth["demo"]).status_code == 200
    data = {"file": [(io.BytesIO(user_task_process("q")), "q.bpmn")], "allow_non_executable": "1"}
    refused(client.post("/api/v1/deployments", data=data, headers=auth["demo"], content_type="multipart/form-data"),
            "allow_non_executable")


def test_exactly_one_of_definition_key_and_definition_id(client, auth, document):
    schema = document["components"]["schemas"]["StartInstance"]
    assert schema["oneOf"] == [{"required": ["definition_key"]}, {"required": ["definition_id"]}]
    assert schema["properties"]["definition_key"]["minLength"] == 1
    assert schema["properties"]["business_key"]["maxLength"] == BUSINESS_KEY_MAX
    assert document["paths"]["/api/v1/process-instances"]["post"]["requestBody"]["required"] is True
    definition_id = deploy(client, auth["demo"], ("p.bpmn", user_task_process())).json["definitions"][0]["id"]
    for body in ({}, {"definition_key": "p", "definition_id": definition_id}, {"definition_key": ""},
                 {"definition_key": "", "definition_id": definition_id}):
        answer = client.post("/api/v1/process-instances", json=body, headers=auth["demo"])
        assert answer.status_code == 400 and answer.content_type == PROBLEM, (body, answer.json)
    refused(start(client, auth["demo"], "p", business_key="k" * (BUSINESS_KEY_MAX + 1)), "business_key")
    assert start(client, auth["demo"], "p", business_key="k" * BUSINESS_KEY_MAX).status_code == 201


def test_a_repair_reason_is_required_and_not_blank(document):
    schema = body_schema(document, "/api/v1/process-instances/{instance_id}/retry")
    assert schema["required"] == ["reason"]
    assert schema["properties"]["reason"] == {"type": "string", "minLength": 1, "pattern": r"\S",
                                              "description": "why the instance is repaired"}
    # (a missing, null or blank reason is a 422 naming it: tests/api/test_repair_api.py)


def test_suspend_reads_a_reason_from_the_query_or_a_json_body_and_checks_both(client, auth, document):
    operation = document["paths"]["/api/v1/process-instances/{instance_id}/suspend"]["post"]
    assert operation["requestBody"]["required"] is False and "reason" in body_schema(
        document, "/api/v1/process-instances/{instance_id}/suspend")["properties"]
    deploy(client, auth["demo"], ("p.bpmn", user_task_process()))
    instance = start(client, auth["demo"], "p").json
    url = f"/api/v1/process-instances/{instance['id']}/suspend?reason=why"
    refused(client.post(url, json={"reason": 5}, headers=auth["demo"]), "reason")
    assert client.post(url, headers=auth["demo"]).status_code == 200


def test_an_export_range_is_described_and_checked(document):
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/history"]["get"]["parameters"]}
    assert parameters["from"]["required"] and parameters["to"]["required"]
    assert "not before `from`" in parameters["to"]["description"]
    assert parameters["from"]["schema"]["pattern"].startswith("^[0-9]{4}-")
    # (the server's 400s for a bad date or a range backwards: tests/api/test_history_api.py)


def test_the_file_types_a_deployment_accepts_are_described_and_enforced(client, auth, document):
    for path, schema_name in (("/api/v1/deployments", "DeployUpload"), ("/api/v1/validate", "Upload")):
        schema = document["components"]["schemas"][schema_name]
        assert body_schema(document, path, media_type="multipart/form-data") == schema
        assert schema["required"] == ["file"] and schema["properties"]["file"]["minItems"] == 1
        described = schema["properties"]["file"]["description"]
        assert all(suffix in described for suffix in ACCEPTED_SUFFIXES) and str(MAX_FILE_NAME) in described
    assert document["components"]["schemas"]["DeployUpload"]["properties"]["name"]["maxLength"] == DEPLOYMENT_NAME_MAX
    unknown = deploy(client, auth["demo"], ("p.bpmn", user_task_process()), ("notes.txt", b"hello"))
    assert unknown.status_code == 400 and "notes.txt" in unknown.json["detail"]
    long_name = "n" * MAX_FILE_NAME + ".bpmn"
    too_long = deploy(client, auth["demo"], (long_name, user_task_process()))
    assert too_long.status_code == 400 and str(MAX_FILE_NAME) in too_long.json["detail"]
    refused(deploy(client, auth["demo"], ("p.bpmn", user_task_process()), name="d" * (DEPLOYMENT_NAME_MAX + 1)),
            "name")
    assert deploy(client, auth["demo"], ("p.bpmn", user_task_process())).status_code == 201
    again = deploy(client, auth["demo"], ("p.bpmn", user_task_process()))
    assert again.status_code == 200
    assert {"200", "201"} <= set(document["paths"]["/api/v1/deployments"]["post"]["responses"])


def test_every_error_is_problem_json_and_the_routes_statuses_are_listed(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status, response in responses.items():
                if int(status) >= 400:
                    # Camunda's clients read Camunda's error body ({type, message}) under /engine-rest.
                    expected = "application/json" if path.startswith("/engine-rest/") else PROBLEM
                    assert list(response["content"]) == [expected], (method, path, status)
            statuses = set(responses)
            assert "400" in statuses, (method, path)  # a NUL in the path or query
            if path != "/healthz":
                assert responses["429"]["headers"]["Retry-After"]["required"], (method, path)
            if path.startswith(("/api/v1/", "/engine-rest/")) and path != "/api/v1/openapi.json":
                assert "401" in statuses, (method, path)
                if method != "get":
                    assert {"403", "409"} <= statuses, (method, path)  # no CSRF token; the database busy
            if "{" in path:
                assert "404" in statuses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= statuses, (method, path)
    problem = document["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "detail"]


def test_a_nul_in_the_path_is_a_400_on_every_database(client, auth):
    answer = client.get("/api/v1/process-instances/a%00b", headers=auth["demo"])
    assert answer.status_code == 400 and answer.content_type == PROBLEM and "NUL" in answer.json["detail"]


def test_a_grant_names_exactly_one_user_or_group_and_permissions_its_resource_has(client, auth, document):
    schema = document["components"]["schemas"]["NewAuthorization"]
    [one_of_who, one_of_kind] = schema["allOf"]
    assert one_of_who == {"oneOf": [{"required": ["user_id"]}, {"required": ["group_id"]}]}
    instance_kind = next(k for k in one_of_kind["oneOf"]
                         if k["properties"]["resource_type"]["enum"] == ["process_instance"])
    assert "CREATE_INSTANCE" not in instance_kind["properties"]["permissions"]["items"]["enum"]
    grant = {"resource_type": "process_instance", "resource_id": "x", "permissions": ["READ"]}
    for wrong in ({**grant, "user_id": "bob", "group_id": "sales"}, grant, {**grant, "resource_id": "  ",
                  "user_id": "bob"}, {**grant, "user_id": "bob", "permissions": ["CREATE_INSTANCE"]}):
        answer = client.post("/api/v1/authorizations", json=wrong, headers=auth["demo"])
        assert answer.status_code == 400 and answer.content_type == PROBLEM, (wrong, answer.json)
    assert client.post("/api/v1/authorizations", json={**grant, "user_id": "bob"},
                       headers=auth["demo"]).status_code == 201
