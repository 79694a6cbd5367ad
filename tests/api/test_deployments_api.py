"""Deployments and definitions over REST: versions, filters, XML, errors."""
from __future__ import annotations

import re

from helpers import REFUND_BPMN, deploy, one_script_process, user_task_process


def test_deploy_answers_with_definitions_and_versions(client, auth):
    first = deploy(client, auth["demo"], ("p.bpmn", one_script_process("x = 1")), name="first")
    assert first.status_code == 201
    assert first.json["name"] == "first"
    assert [(d["key"], d["version"]) for d in first.json["definitions"]] == [("p", 1)]
    second = deploy(client, auth["demo"], ("p.bpmn", one_script_process("x = 2")))
    assert second.status_code == 201 and second.json["definitions"][0]["version"] == 2
    again = deploy(client, auth["demo"], ("p.bpmn", one_script_process("x = 2")))
    assert again.status_code == 200 and again.json["id"] == second.json["id"]
    latest = client.get("/api/v1/process-definitions?key=p&latest=true", headers=auth["bob"]).json
    assert [d["version"] for d in latest] == [2]
    every = client.get("/api/v1/process-definitions?key=p", headers=auth["bob"]).json
    assert [d["version"] for d in every] == [1, 2]
    listed = client.get("/api/v1/deployments", headers=auth["bob"]).json
    assert {d["id"] for d in listed} == {first.json["id"], second.json["id"]}


def test_one_deployment_may_hold_several_processes(client, auth):
    response = deploy(client, auth["demo"], ("a.bpmn", one_script_process("x = 1", "a")),
                      ("b.bpmn", user_task_process("b")))
    assert response.status_code == 201
    assert sorted(d["key"] for d in response.json["definitions"]) == ["a", "b"]


def test_definition_xml_is_the_uploaded_file(client, auth):
    definition = deploy(client, auth["demo"], ("refund.bpmn", REFUND_BPMN.read_bytes())).json["definitions"][0]
    response = client.get(f"/api/v1/process-definitions/{definition['id']}/xml", headers=auth["alice"])
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.data == REFUND_BPMN.read_bytes()
    detail = client.get(f"/api/v1/process-definitions/{definition['id']}", headers=auth["alice"]).json
    assert detail["resource_name"] == "refund.bpmn"


def test_bad_deployments_change_nothing(client, auth):
    cases = [
        (("bad.bpmn", b"<definitions><unclosed></definitions>"), 400, "malformed-xml"),
        (("notes.txt", b"hello"), 400, "bad-request"),
        (("p.bpmn", user_task_process().replace(b'isExecutable="true"', b'isExecutable="false"')),
         422, "invalid-model"),
    ]
    for upload, status, problem in cases:
        response = deploy(client, auth["demo"], upload)
        assert response.status_code == status, response.json
        assert response.mimetype == "application/problem+json"
        assert response.json["type"] == f"urn:fuse:problem:{problem}"
    malformed = deploy(client, auth["demo"], cases[0][0]).json
    assert malformed["line"] == 1 and malformed["column"]
    assert client.get("/api/v1/process-definitions", headers=auth["demo"]).json == []
    assert client.get("/api/v1/deployments", headers=auth["demo"]).json == []


def test_deploying_needs_a_token_and_the_admin_group(client, auth):
    upload = ("p.bpmn", one_script_process("x = 1"))
    assert deploy(client, {}, upload).status_code == 401
    assert deploy(client, {"Authorization": "Bearer nope"}, upload).status_code == 401
    refused = deploy(client, auth["alice"], upload)
    assert refused.status_code == 403 and refused.json["type"] == "urn:fuse:problem:forbidden"


def test_unknown_ids_are_404_problems(client, auth):
    for path in ("/api/v1/deployments/nope", "/api/v1/process-definitions/nope",
                 "/api/v1/process-definitions/nope/xml", "/api/v1/process-instances/nope",
                 "/api/v1/tasks/nope", "/api/v1/no-such-route"):
        response = client.get(path, headers=auth["demo"])
        assert response.status_code == 404, path
        assert response.json["type"] == "urn:fuse:problem:not-found"


def test_landing_page_points_to_the_docs(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", user_task_process("p")))
    first = client.get("/")
    assert first.status_code == 302 and first.headers["Location"].startswith("/login")
    login = client.get(first.headers["Location"])
    assert login.status_code == 200 and login.mimetype == "text/html" and b"/api/docs" in login.data
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', login.data).group(1).decode()
    token = auth["demo"]["Authorization"].split()[-1]
    signed_in = client.post("/login", data={"name": "demo", "token": token, "csrf_token": csrf, "next": "/"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b"/api/docs" in page.data and b"<strong>1</strong> process definition" in page.data
