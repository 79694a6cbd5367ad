"""Start rights: candidate starters of a process, grants of CREATE_INSTANCE, and FUSE_DEFAULT_START."""
from __future__ import annotations

import pytest

from api.app import create_app
from helpers import bpmn_document, deploy, flow, start


def process(key: str, attributes: str = "") -> bytes:
    document = bpmn_document('<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>' + flow("f", "start", "end"),
                             key)
    return document.replace(f'<bpmn:process id="{key}"'.encode(), f'<bpmn:process id="{key}" {attributes}'.encode())


def deploy_processes(client, auth):
    response = deploy(client, auth["demo"], ("open.bpmn", process("open")),
                      ("finance.bpmn", process("fin", 'camunda:candidateStarterGroups="finance, audit"')),
                      ("carol.bpmn", process("carols", 'camunda:candidateStarterUsers="carol"')))
    assert response.status_code == 201, response.json
    assert not [w for w in response.json["warnings"] if "candidateStarter" in w["message"]]


def startable(client, headers) -> list[str]:
    found = client.get("/api/v1/process-definitions?latest=true&startable=true", headers=headers).json
    return sorted(d["key"] for d in found)


def test_candidate_starters_may_start_and_others_get_403(client, auth):
    deploy_processes(client, auth)
    refused = start(client, auth["bob"], "fin")
    assert refused.status_code == 403 and refused.json["type"] == "urn:fuse:problem:forbidden"
    assert start(client, auth["alice"], "fin").status_code == 201
    assert start(client, auth["demo"], "fin").status_code == 201  # admins start anything
    assert start(client, auth["carol"], "carols").status_code == 201
    assert start(client, auth["alice"], "carols").status_code == 403
    assert start(client, auth["bob"], "open").status_code == 201  # names no starters: everyone, by default
    definition = client.get("/api/v1/process-definitions?key=fin", headers=auth["bob"]).json[0]
    assert definition["starters"] == {"users": [], "groups": ["audit", "finance"]}


def test_the_start_page_lists_only_what_you_may_start(client, auth):
    deploy_processes(client, auth)
    assert startable(client, auth["bob"]) == ["open"]
    assert startable(client, auth["alice"]) == ["fin", "open"]
    assert startable(client, auth["carol"]) == ["carols", "open"]
    assert startable(client, auth["demo"]) == ["carols", "fin", "open"]
    everything = client.get("/api/v1/process-definitions?latest=true", headers=auth["bob"]).json
    assert len(everything) == 3


def test_with_default_start_admins_only_admins_and_grantees_start_unnamed_processes(client, auth, monkeypatch):
    monkeypatch.setenv("FUSE_DEFAULT_START", "admins")
    deploy_processes(client, auth)
    assert start(client, auth["bob"], "open").status_code == 403
    assert start(client, auth["alice"], "fin").status_code == 201  # named starters are not affected
    assert startable(client, auth["bob"]) == []
    grant = {"resource_type": "process_definition", "resource_id": "open", "group_id": "sales",
             "permissions": ["CREATE_INSTANCE"]}
    assert client.post("/api/v1/authorizations", json=grant, headers=auth["demo"]).status_code == 201
    assert start(client, auth["bob"], "open").status_code == 201
    assert start(client, auth["bob"], "fin").status_code == 403
    assert startable(client, auth["bob"]) == ["open"]


def test_a_grant_of_create_instance_on_every_process_overrides_candidate_starters(client, auth):
    deploy_processes(client, auth)
    grant = {"resource_type": "process_definition", "resource_id": "*", "user_id": "bob", "permissions": ["ALL"]}
    assert client.post("/api/v1/authorizations", json=grant, headers=auth["demo"]).status_code == 201
    assert start(client, auth["bob"], "fin").status_code == 201


def test_an_unknown_default_start_stops_the_server_from_starting(monkeypatch, database_url):
    monkeypatch.setenv("FUSE_DEFAULT_START", "nobody")
    with pytest.raises(ValueError, match="FUSE_DEFAULT_START"):
        create_app({"DATABASE_URL": database_url})
