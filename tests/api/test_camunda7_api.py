"""Camunda 7's REST API at /engine-rest through the Flask test client: the Modeler's requests, deployments,
definitions, instances, typed variables, errors, authentication and authorisation."""
from __future__ import annotations

import json

import camunda_modeler as modeler
import pytest

from api.docs import path_parameters
from helpers import bpmn_document, flow, one_script_process, user_task_process

ROOT = "/engine-rest"


@pytest.fixture
def basic(auth):
    """HTTP Basic headers by user name: the user's name and API token."""
    return {name: {"Authorization": modeler.basic(name, h["Authorization"].split()[1])} for name, h in auth.items()}


def modeler_deploy(client, authorization: str, file_name: str, contents: bytes, name: str = "diagram"):
    return client.post(f"{ROOT}/deployment/create", data=modeler.deploy_body(name, file_name, contents),
                       headers=modeler.deploy_headers(authorization))


def deploy(client, headers, file_name: str, contents: bytes, name: str = "diagram"):
    response = modeler_deploy(client, headers["Authorization"], file_name, contents, name)
    assert response.status_code == 200, response.json
    return response.json


def test_modeler_connection_check_deploy_and_start(client, basic):
    demo = basic["demo"]["Authorization"]
    check = client.get(f"{ROOT}/deployment?maxResults=0", headers=modeler.headers(demo))
    assert check.status_code == 200 and check.json == []
    assert client.get(f"{ROOT}/version", headers=modeler.headers(demo)).json["version"].startswith("7.")
    assert client.get(f"{ROOT}/engine", headers=modeler.headers(demo)).json == [{"name": "default"}]
    deployed = modeler_deploy(client, demo, "approval.bpmn", user_task_process("approval"), name="approval")
    assert deployed.status_code == 200, deployed.json
    body = deployed.json
    assert body["name"] == "approval" and body["source"] == "Camunda Modeler" and body["tenantId"] is None
    assert body["deploymentTime"].endswith("+0000") and len(body["deploymentTime"]) == 28
    assert body["links"][0]["href"].endswith(f"{ROOT}/deployment/{body['id']}")
    [(definition_id, definition)] = body["deployedProcessDefinitions"].items()
    assert definition["key"] == "approval" and definition["version"] == 1 and definition["id"] == definition_id
    assert definition["deploymentId"] == body["id"] and definition["resource"] == "approval.bpmn"
    assert body["deployedDecisionDefinitions"] is None and body["deployedCaseDefinitions"] is None
    again = modeler_deploy(client, demo, "approval.bpmn", user_task_process("approval"), name="approval")
    assert again.json["id"] == body["id"]  # duplicate filtering: the existing deployment
    started = client.post(f"{ROOT}/process-definition/{definition_id}/start",
                          data=modeler.start_body("order-1", {"amount": {"value": 5, "type": "Integer"}}),
                          headers=modeler.start_headers(demo))
    assert started.status_code == 200, started.json
    instance = started.json
    assert instance["definitionId"] == definition_id and instance["businessKey"] == "order-1"
    assert instance["ended"] is False and instance["suspended"] is False and "variables" not in instance
    assert instance["links"][0]["rel"] == "self"


def test_modeler_parse_error_path(client, basic):
    demo = basic["demo"]["Authorization"]
    broken = bpmn_document('<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>' + flow("f1", "start", "nowhere"))
    refused = modeler_deploy(client, demo, "broken.bpmn", broken)
    assert refused.status_code == 400
    assert refused.json["type"] == "ParseException"
    assert refused.json["message"].startswith("ENGINE-09005 Could not parse BPMN process. Errors in broken.bpmn")
    [error] = refused.json["details"]["broken.bpmn"]["errors"]
    assert set(error) == {"message", "line", "column", "mainElementId", "elementIds"}
    assert error["line"] > 0 and refused.json["details"]["broken.bpmn"]["warnings"] == []
    malformed = modeler_deploy(client, demo, "bad.bpmn", b"<bpmn:definitions")
    assert malformed.status_code == 400 and malformed.json["type"] == "ParseException"
    assert malformed.json["details"]["bad.bpmn"]["errors"][0]["line"] >= 1
    assert client.get(f"{ROOT}/deployment/count", headers=basic["demo"]).json == {"count": 0}


def test_deployment_queries_and_delete(client, basic, auth):
    first = deploy(client, basic["demo"], "a.bpmn", user_task_process("a"), name="alpha-a")
    second = deploy(client, basic["demo"], "b.bpmn", one_script_process("y = 1", "b"), name="beta-b")
    url = f"{ROOT}/deployment"
    assert [d["id"] for d in client.get(f"{url}?sortBy=name&sortOrder=desc", headers=auth["bob"]).json] == [
        second["id"], first["id"]]
    assert [d["id"] for d in client.get(f"{url}?nameLike=%25-%25&firstResult=1&maxResults=5&sortBy=name&sortOrder=asc",
                                        headers=auth["bob"]).json] == [second["id"]]
    assert client.get(f"{url}?id={first['id']}", headers=auth["bob"]).json[0]["name"] == "alpha-a"
    assert client.get(f"{url}/count?source=Camunda%20Modeler", headers=auth["bob"]).json == {"count": 2}
    assert client.get(f"{url}/{first['id']}", headers=auth["bob"]).json["id"] == first["id"]
    missing = client.get(f"{url}/nope", headers=auth["bob"])
    assert missing.status_code == 404 and missing.json["type"] == "InvalidRequestException"
    assert client.get(f"{url}?sortBy=name", headers=auth["bob"]).status_code == 400
    assert client.get(f"{url}?sortBy=colour&sortOrder=asc", headers=auth["bob"]).json["type"] == \
        "InvalidRequestException"
    assert client.get(f"{url}?maxResults=-1", headers=auth["bob"]).status_code == 400
    definition_id = next(iter(first["deployedProcessDefinitions"]))
    client.post(f"{ROOT}/process-definition/{definition_id}/start", json={}, headers=auth["bob"])
    forbidden = client.delete(f"{url}/{first['id']}", headers=auth["bob"])
    assert forbidden.status_code == 403 and forbidden.json["type"] == "AuthorizationException"
    kept = client.delete(f"{url}/{first['id']}", headers=auth["demo"])
    assert kept.status_code == 409 and kept.json["running"] == 1 and "cascade=true" in kept.json["message"]
    assert client.delete(f"{url}/{first['id']}?cascade=true", headers=auth["demo"]).status_code == 204
    assert client.get(f"{url}/{first['id']}", headers=auth["demo"]).status_code == 404
    assert client.get(f"{ROOT}/process-instance/count", headers=auth["demo"]).json == {"count": 0}
    assert client.post(f"{ROOT}/process-definition/key/b/start", json={}, headers=auth["bob"]).json["ended"] is True
    assert client.delete(f"{url}/{second['id']}", headers=auth["demo"]).status_code == 409  # a completed instance
    assert client.get(f"{ROOT}/process-definition/count", headers=auth["demo"]).json == {"count": 1}


def test_definitions_by_filters_key_xml_and_forms(client, basic, auth):
    deploy(client, basic["demo"], "a.bpmn", user_task_process("a"))
    v2 = user_task_process("a").replace(b'name="Approve"', b'name="Approve it"')
    deploy(client, basic["demo"], "a.bpmn", v2)
    deploy(client, basic["demo"], "b.bpmn", one_script_process("y = 1", "b"))
    url, bob = f"{ROOT}/process-definition", auth["bob"]
    assert [(d["key"], d["version"]) for d in client.get(f"{url}?latestVersion=true&sortBy=key&sortOrder=asc",
                                                        headers=bob).json] == [("a", 2), ("b", 1)]
    assert [d["version"] for d in client.get(f"{url}?key=a&sortBy=version&sortOrder=desc", headers=bob).json] == [2, 1]
    assert client.get(f"{url}/count?keyLike=a%25", headers=bob).json == {"count": 2}
    assert client.get(f"{url}?version=1&key=a", headers=bob).json[0]["version"] == 1
    latest = client.get(f"{url}/key/a", headers=bob).json
    assert latest["version"] == 2 and latest["suspended"] is False
    assert client.get(f"{url}/{latest['id']}", headers=bob).json == latest
    xml = client.get(f"{url}/key/a/xml", headers=bob).json
    assert xml["id"] == latest["id"] and 'name="Approve it"' in xml["bpmn20Xml"]
    assert client.get(f"{url}/{latest['id']}/xml", headers=bob).json == xml
    unknown = client.get(f"{url}/key/zzz", headers=bob)
    assert unknown.status_code == 404 and unknown.json["type"] == "InvalidRequestException"
    assert client.get(f"{url}/key/a/startForm", headers=bob).json == {"key": None, "contextPath": None,
                                                                       "camundaFormRef": None}
    assert client.get(f"{url}/key/a/form-variables", headers=bob).json == {}
    assert client.get(f"{url}?latestVersion=maybe", headers=bob).status_code == 400


def test_typed_variables_round_trip(client, basic, auth):
    deploy(client, basic["demo"], "a.bpmn", user_task_process("a"))
    variables = {
        "s": {"value": "text", "type": "String"}, "i": {"value": 7, "type": "Integer"},
        "l": {"value": 7, "type": "Long"}, "d": {"value": 2, "type": "Double"}, "b": {"value": True, "type": "Boolean"},
        "date": {"value": "2024-05-01T09:30:00.000+0200", "type": "Date"},
        "j": {"value": '{"a":[1,2]}', "type": "Json"},
        "o": {"value": '{"name":"x"}', "type": "Object",
              "valueInfo": {"objectTypeName": "com.example.Thing", "serializationDataFormat": "application/json"}},
        "n": {"value": None, "type": "Null"}, "untyped_big": {"value": 2**40}, "untyped_obj": {"value": {"k": 1}},
        "typed_null": {"value": None, "type": "String"},
    }
    started = client.post(f"{ROOT}/process-definition/key/a/start",
                          json={"variables": variables, "businessKey": "k", "withVariablesInReturn": True},
                          headers=auth["bob"])
    assert started.status_code == 200, started.json
    returned = started.json["variables"]
    read = client.get(f"{ROOT}/process-instance/{started.json['id']}/variables", headers=auth["bob"]).json
    assert read == returned
    assert read["s"] == {"type": "String", "value": "text", "valueInfo": {}}
    assert read["i"]["type"] == "Integer" and read["l"] == {"type": "Long", "value": 7, "valueInfo": {}}
    assert read["d"] == {"type": "Double", "value": 2.0, "valueInfo": {}}
    assert read["b"]["value"] is True and read["b"]["type"] == "Boolean"
    assert read["date"] == {"type": "Date", "value": "2024-05-01T09:30:00.000+0200", "valueInfo": {}}
    assert read["j"] == {"type": "Json", "value": '{"a":[1,2]}', "valueInfo": {}}
    assert read["o"] == {"type": "Object", "value": {"name": "x"}, "valueInfo": {
        "objectTypeName": "com.example.Thing", "serializationDataFormat": "application/json"}}
    assert read["n"] == {"type": "Null", "value": None, "valueInfo": {}}
    assert read["untyped_big"]["type"] == "Long" and read["untyped_obj"]["type"] == "Json"
    assert read["typed_null"] == {"type": "String", "value": None, "valueInfo": {}}
    serialized = client.get(f"{ROOT}/process-instance/{started.json['id']}/variables/o?deserializeValues=false",
                            headers=auth["bob"]).json
    assert serialized["value"] == '{"name":"x"}'
    # The process sees plain JSON values: a date as ISO 8601, Json as its structure.
    plain = client.get(f"/api/v1/process-instances/{started.json['id']}/variables", headers=auth["bob"]).json
    assert plain["date"] == "2024-05-01T09:30:00.000+02:00" and plain["j"] == {"a": [1, 2]} and plain["l"] == 7


@pytest.mark.parametrize("typed, why", [
    ({"value": "abc", "type": "Integer"}, "Integer"),
    ({"value": 2**31, "type": "Integer"}, "Integer"),
    ({"value": "yesterday", "type": "Date"}, "yyyy-MM-dd"),
    ({"value": "rO0ABXQ=", "type": "Object", "valueInfo": {
        "objectTypeName": "java.lang.String", "serializationDataFormat": "application/x-java-serialized-object"}},
     "Java-serialized"),
    ({"value": "{not json", "type": "Json"}, "JSON"),
    ({"value": "AAAA", "type": "Bytes"}, "not supported"),
    ({"value": 1, "type": "Sausage"}, "unsupported"),
    ("just a string", "is an object"),
])
def test_bad_typed_values_are_400_and_start_nothing(client, basic, auth, typed, why):
    deploy(client, basic["demo"], "a.bpmn", user_task_process("a"))
    refused = client.post(f"{ROOT}/process-definition/key/a/start", json={"variables": {"v": typed}},
                          headers=auth["bob"])
    assert refused.status_code == 400 and refused.json["type"] == "InvalidRequestException"
    assert why in refused.json["message"] and "v" in refused.json["message"]
    assert client.get(f"{ROOT}/process-instance/count", headers=auth["bob"]).json == {"count": 0}


def test_instances_list_get_suspend_delete(client, basic, auth):
    deploy(client, basic["demo"], "a.bpmn", user_task_process("a"))
    deploy(client, basic["demo"], "b.bpmn", one_script_process("y = 1", "b"))
    ids = [client.post(f"{ROOT}/process-definition/key/a/start", json={"businessKey": f"k{n}"},
                       headers=auth["bob"]).json["id"] for n in range(3)]
    done = client.post(f"{ROOT}/process-definition/key/b/start", json={}, headers=auth["bob"]).json
    assert done["ended"] is True
    url, bob = f"{ROOT}/process-instance", auth["bob"]
    assert client.get(f"{url}/count", headers=bob).json == {"count": 3}  # a finished instance is history
    assert [i["businessKey"] for i in client.get(f"{url}?businessKey=k1", headers=bob).json] == ["k1"]
    assert len(client.get(f"{url}?processDefinitionKey=a&firstResult=1&maxResults=1", headers=bob).json) == 1
    assert {i["id"] for i in client.get(f"{url}?processInstanceIds={ids[0]},{ids[2]}", headers=bob).json} == {
        ids[0], ids[2]}
    assert client.get(f"{url}/{done['id']}", headers=bob).status_code == 404
    assert client.put(f"{url}/{ids[0]}/suspended", json={"suspended": True}, headers=bob).status_code == 204
    assert client.put(f"{url}/{ids[0]}/suspended", json={"suspended": True}, headers=bob).status_code == 204
    assert client.get(f"{url}/{ids[0]}", headers=bob).json["suspended"] is True
    assert [i["id"] for i in client.get(f"{url}?suspended=true", headers=bob).json] == [ids[0]]
    assert client.get(f"{url}/count?active=true", headers=bob).json == {"count": 2}
    assert client.put(f"{url}/{ids[0]}/suspended", json={"suspended": False}, headers=bob).status_code == 204
    assert client.put(f"{url}/{ids[0]}/suspended", json={"suspended": "no"}, headers=bob).status_code == 400
    tree = client.get(f"{url}/{ids[1]}/activity-instances", headers=bob).json
    assert tree["id"] == ids[1] and tree["activityType"] == "processDefinition"
    [child] = tree["childActivityInstances"]
    assert child["activityId"] == "approve" and child["activityType"] == "userTask"
    assert child["parentActivityInstanceId"] == ids[1] and child["activityName"] == "Approve"
    assert client.delete(f"{url}/{ids[1]}?skipCustomListeners=true", headers=bob).status_code == 204
    assert client.get(f"{url}/{ids[1]}", headers=bob).status_code == 404
    assert client.delete(f"{url}/{ids[1]}", headers=bob).status_code == 404
    # What /api/v1 shows of the same instance: terminated, kept.
    assert client.get(f"/api/v1/process-instances/{ids[1]}", headers=bob).json["state"] == "terminated"


def test_variables_modify_put_delete(client, basic, auth):
    deploy(client, basic["demo"], "a.bpmn", user_task_process("a"))
    instance = client.post(f"{ROOT}/process-definition/key/a/start", json={"variables": {
        "keep": {"value": 1, "type": "Long"}, "drop": {"value": "x"}}}, headers=auth["bob"]).json
    url = f"{ROOT}/process-instance/{instance['id']}/variables"
    changed = client.post(url, json={"modifications": {"when": {"value": "2024-01-02T03:04:05.678+0000",
                                                                 "type": "Date"}},
                                     "deletions": ["drop"]}, headers=auth["bob"])
    assert changed.status_code == 204
    read = client.get(url, headers=auth["bob"]).json
    assert set(read) == {"keep", "when"} and read["when"]["value"] == "2024-01-02T03:04:05.678+0000"
    assert client.put(f"{url}/keep", json={"value": "now text", "type": "String"}, headers=auth["bob"]).status_code \
        == 204
    assert client.get(f"{url}/keep", headers=auth["bob"]).json == {"type": "String", "value": "now text",
                                                                   "valueInfo": {}}
    assert client.put(f"{url}/keep", json={"value": 3}, headers=auth["bob"]).status_code == 204
    assert client.get(f"{url}/keep", headers=auth["bob"]).json["type"] == "Integer"  # untyped: inferred again
    assert client.delete(f"{url}/keep", headers=auth["bob"]).status_code == 204
    missing = client.get(f"{url}/keep", headers=auth["bob"])
    assert missing.status_code == 404 and missing.json["type"] == "InvalidRequestException"
    other = client.post(url, json={"modifications": {"x": {"value": 1}}}, headers=auth["alice"])
    assert other.status_code in (403, 404)
    bad = client.post(url, json={"deletions": "drop"}, headers=auth["bob"])
    assert bad.status_code == 400


def test_authentication_basic_bearer_none(client, basic, auth):
    url = f"{ROOT}/deployment?maxResults=0"
    assert client.get(url, headers=basic["bob"]).status_code == 200
    assert client.get(url, headers=auth["bob"]).status_code == 200
    none = client.get(url)
    assert none.status_code == 401 and none.json["type"] == "AuthenticationException"
    assert none.headers["WWW-Authenticate"].startswith("Basic")
    token = auth["bob"]["Authorization"].split()[1]
    wrong_user = client.get(url, headers={"Authorization": modeler.basic("alice", token)})
    assert wrong_user.status_code == 401
    assert client.get(url, headers={"Authorization": modeler.basic("bob", "fuse_wrong")}).status_code == 401
    assert client.get(url, headers={"Authorization": "Basic !!!"}).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer fuse_wrong"}).json["type"] == "AuthenticationException"


def test_errors_are_camunda_bodies_everywhere_under_the_prefix(client, basic, auth):
    unknown_route = client.get(f"{ROOT}/no-such-thing", headers=auth["bob"])
    assert unknown_route.status_code == 404 and set(unknown_route.json) >= {"type", "message"}
    assert unknown_route.content_type == "application/json"
    wrong_method = client.patch(f"{ROOT}/deployment", headers=auth["bob"])
    assert wrong_method.status_code == 405 and wrong_method.json["type"] == "RestException"
    not_deployed = client.post(f"{ROOT}/process-definition/key/a/start", json={}, headers=auth["bob"])
    assert not_deployed.status_code == 404 and not_deployed.json["type"] == "InvalidRequestException"
    deploy(client, basic["demo"], "a.bpmn", user_task_process("a"))
    not_json = client.post(f"{ROOT}/process-definition/key/a/start", data="{", headers={
        **auth["bob"], "Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json["type"] == "InvalidRequestException"
    no_files = client.post(f"{ROOT}/deployment/create", data={"deployment-name": "x"}, headers=auth["demo"],
                           content_type="multipart/form-data")
    assert no_files.status_code == 400 and no_files.json["type"] == "InvalidRequestException"
    tenant = client.post(f"{ROOT}/deployment/create", data=modeler.deploy_body("x", "a.bpmn", b"<x/>", "t1"),
                         headers={**auth["demo"], "content-type": modeler.deploy_headers("")["content-type"]})
    assert tenant.status_code == 400 and "tenant" in tenant.json["message"]
    # /api/v1 keeps problem+json.
    assert client.get("/api/v1/deployments/nope", headers=auth["bob"]).content_type == "application/problem+json"


def test_authorisation_as_under_api_v1(client, basic, auth):
    refused = modeler_deploy(client, basic["bob"]["Authorization"], "a.bpmn", user_task_process("a"))
    assert refused.status_code == 403 and refused.json["type"] == "AuthorizationException"
    deploy(client, basic["demo"], "a.bpmn", user_task_process("a", attributes='camunda:assignee="bob"'))
    instance = client.post(f"{ROOT}/process-definition/key/a/start", json={}, headers=auth["bob"]).json
    url = f"{ROOT}/process-instance/{instance['id']}"
    for path in ("", "/variables", "/activity-instances"):
        hidden = client.get(url + path, headers=auth["carol"])
        assert hidden.status_code == 404 and hidden.json["type"] == "InvalidRequestException"
    assert client.get(f"{ROOT}/process-instance/count", headers=auth["carol"]).json == {"count": 0}
    assert client.get(f"{ROOT}/process-instance/count", headers=auth["demo"]).json == {"count": 1}
    assert client.delete(url, headers=auth["carol"]).status_code == 404
    assert client.put(url + "/suspended", json={"suspended": True}, headers=auth["carol"]).status_code == 404


def test_every_route_is_in_the_openapi_document_under_its_tag(app, client):
    document = client.get("/api/v1/openapi.json").json
    routes = {(path_parameters(rule)[0], method.lower()) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(ROOT) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert len(routes) >= 29
    for path, method in routes:
        operation = document["paths"][path][method]
        assert operation["tags"] == ["Camunda 7 REST (engine-rest)"], path
        assert "401" in operation["responses"], path
        assert "type" in operation["responses"]["401"]["content"]["application/json"]["schema"]["properties"]
    assert document["paths"]["/engine-rest/process-instance/{instance_id}"]["delete"]["responses"].get("204")


START_FORM = bpmn_document(
    '<bpmn:startEvent id="start"><bpmn:extensionElements><camunda:formData>'
    '<camunda:formField id="quantity" label="Quantity" type="long"/>'
    '<camunda:formField id="express" label="Express" type="boolean" defaultValue="true"/>'
    '<camunda:formField id="note" label="Note" type="string"/>'
    '</camunda:formData></bpmn:extensionElements></bpmn:startEvent>'
    '<bpmn:userTask id="pack" name="Pack"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "pack") + flow("f2", "pack", "end"), "order")


def test_start_form_variables_are_typed_by_their_fields(client, basic, auth):
    deploy(client, basic["demo"], "order.bpmn", START_FORM)
    url = f"{ROOT}/process-definition/key/order"
    assert client.get(f"{url}/form-variables", headers=auth["bob"]).json == {
        "quantity": {"type": "Long", "value": None, "valueInfo": {}},
        "express": {"type": "Boolean", "value": True, "valueInfo": {}},
        "note": {"type": "String", "value": None, "valueInfo": {}}}
    assert set(client.get(f"{url}/form-variables?variableNames=note,express", headers=auth["bob"]).json) == {
        "note", "express"}
    form = client.get(f"{url}/startForm", headers=auth["bob"])
    assert form.status_code == 200 and form.json["contextPath"] is None
    started = client.post(f"{url}/start", json={"variables": {"quantity": {"value": "3", "type": "Long"}},
                                                 "withVariablesInReturn": True}, headers=auth["bob"])
    assert started.status_code == 200, started.json
    assert started.json["variables"]["quantity"] == {"type": "Long", "value": 3, "valueInfo": {}}
    wrong = client.post(f"{url}/start", json={"variables": {"quantity": {"value": "many"}}}, headers=auth["bob"])
    assert wrong.status_code == 400 and wrong.json["type"] == "InvalidRequestException"


def test_a_variable_written_through_api_v1_forgets_its_declared_type(client, basic, auth):
    deploy(client, basic["demo"], "a.bpmn", user_task_process("a"))
    instance = client.post(f"{ROOT}/process-definition/key/a/start", json={"variables": {
        "n": {"value": 5, "type": "Long"}, "m": {"value": 6, "type": "Long"}}}, headers=auth["bob"]).json
    patched = client.patch(f"/api/v1/process-instances/{instance['id']}/variables", json={"n": 7},
                           headers=auth["bob"])
    assert patched.status_code == 200
    read = client.get(f"{ROOT}/process-instance/{instance['id']}/variables", headers=auth["bob"]).json
    assert read["n"]["type"] == "Integer" and read["m"]["type"] == "Long"


ORDER_FORM = json.dumps({"id": "order-form", "type": "default", "schemaVersion": 16, "components": [
    {"id": "Field_amount", "type": "number", "key": "amount", "label": "Amount"},
    {"id": "Field_express", "type": "checkbox", "key": "express", "label": "Express"}]}).encode()
LINKED = bpmn_document(
    '<bpmn:startEvent id="start" camunda:formRef="order-form" camunda:formRefBinding="deployment"/>'
    '<bpmn:userTask id="pack" name="Pack"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "pack") + flow("f2", "pack", "end"), "linked")


def test_the_modeler_deploys_a_diagram_with_its_linked_form(client, basic):
    demo = basic["demo"]["Authorization"]
    deployed = client.post(f"{ROOT}/deployment/create", headers=modeler.deploy_headers(demo), data=modeler.deploy_body(
        "linked", "linked.bpmn", LINKED, attachments=(("order.form", ORDER_FORM),)))
    assert deployed.status_code == 200, deployed.json
    [definition_id] = deployed.json["deployedProcessDefinitions"]
    url = f"{ROOT}/process-definition/{definition_id}"
    assert client.get(f"{url}/startForm", headers=basic["demo"]).json == {
        "key": None, "contextPath": None, "camundaFormRef": {"key": "order-form", "binding": "deployment",
                                                             "version": None}}
    assert client.get(f"{url}/form-variables", headers=basic["demo"]).json == {
        "amount": {"type": "Double", "value": None, "valueInfo": {}},
        "express": {"type": "Boolean", "value": None, "valueInfo": {}}}


def test_start_rights_hold_at_engine_rest(client, basic, auth):
    restricted = user_task_process("fin").replace(b'<bpmn:process id="fin"',
                                                  b'<bpmn:process id="fin" camunda:candidateStarterGroups="finance"')
    deploy(client, basic["demo"], "fin.bpmn", restricted)
    refused = client.post(f"{ROOT}/process-definition/key/fin/start", json={}, headers=basic["bob"])
    assert refused.status_code == 403 and refused.json["type"] == "AuthorizationException"
    assert client.post(f"{ROOT}/process-definition/key/fin/start", json={}, headers=basic["alice"]).status_code == 200
    assert client.get(f"{ROOT}/process-instance/count", headers=auth["bob"]).json == {"count": 0}
