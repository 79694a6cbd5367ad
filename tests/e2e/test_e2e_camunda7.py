"""Camunda 7 clients against `fuse serve` at /engine-rest: Camunda Modeler's requests replayed byte for byte
(tests/camunda_modeler.py), and pycamunda (PyPI) deploying, starting by key with typed variables and listing by business
key."""
from __future__ import annotations

import pycamunda
import pycamunda.deployment
import pycamunda.incident
import pycamunda.message
import pycamunda.processdef
import pycamunda.processinst
import pycamunda.signal
import pycamunda.task
import pytest
import requests
from requests.auth import HTTPBasicAuth

import camunda_modeler as modeler
from e2e.support import HTTP_TIMEOUT_S
from message_models import SIGNALLED, WAIT_FOR_PAYMENT

from helpers import bpmn_document, flow, service_model, user_task_process

BROKEN = bpmn_document('<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>' + flow("f1", "start", "missing"))


def engine_rest(server) -> str:
    return f"{server.base_url}/engine-rest"


def test_the_modeler_checks_the_connection_deploys_and_starts(server):
    url, authorization = engine_rest(server), modeler.basic("demo", server.tokens["demo"])
    check = requests.get(f"{url}/deployment?maxResults=0", headers=modeler.headers(authorization),
                         timeout=HTTP_TIMEOUT_S)
    assert check.status_code == 200 and check.json() == []
    assert requests.get(f"{url}/version", headers=modeler.headers(authorization),
                        timeout=HTTP_TIMEOUT_S).json()["version"].startswith("7.")
    deployed = requests.post(f"{url}/deployment/create", headers=modeler.deploy_headers(authorization),
                             data=modeler.deploy_body("order", "order.bpmn", user_task_process("order")),
                             timeout=HTTP_TIMEOUT_S)
    assert deployed.status_code == 200, deployed.text
    [definition] = deployed.json()["deployedProcessDefinitions"].values()
    started = requests.post(f"{url}/process-definition/{definition['id']}/start",
                            headers=modeler.start_headers(authorization),
                            data=modeler.start_body("order-7", {"amount": {"value": 12.5, "type": "Double"}}),
                            timeout=HTTP_TIMEOUT_S)
    assert started.status_code == 200, started.text
    assert started.json()["businessKey"] == "order-7" and started.json()["ended"] is False
    # The same instance through /api/v1: one engine.
    same = server.get(f"/api/v1/process-instances/{started.json()['id']}").json()
    assert same["variables"] == {"amount": 12.5} and same["state"] == "active"
    refused = requests.post(f"{url}/deployment/create", headers=modeler.deploy_headers(authorization),
                            data=modeler.deploy_body("broken", "broken.bpmn", BROKEN), timeout=HTTP_TIMEOUT_S)
    assert refused.status_code == 400
    body = refused.json()
    assert body["type"] == "ParseException" and body["message"].startswith(
        "ENGINE-09005 Could not parse BPMN process.")
    assert body["details"]["broken.bpmn"]["errors"][0]["line"] > 0
    wrong = requests.get(f"{url}/deployment?maxResults=0", timeout=HTTP_TIMEOUT_S,
                         headers=modeler.headers(modeler.basic("demo", "fuse_not-it")))
    assert wrong.status_code == 401


def test_pycamunda_deploys_starts_by_key_with_typed_variables_and_lists_by_business_key(server, tmp_path):
    url = engine_rest(server)
    model = tmp_path / "invoice.bpmn"
    model.write_bytes(user_task_process("invoice"))
    create = pycamunda.deployment.Create(url=url, name="invoices", source="pycamunda")
    create.auth = HTTPBasicAuth("demo", server.tokens["demo"])
    with model.open("rb") as file:
        create.add_resource(file)
        deployment = create()
    assert deployment.name == "invoices" and deployment.source == "pycamunda"
    [definition] = deployment.deployed_process_definitions.values()
    assert definition.key == "invoice" and definition.resource == "invoice.bpmn"
    auth = HTTPBasicAuth("alice", server.tokens["alice"])
    started = []
    for number in range(2):
        start = pycamunda.processdef.StartInstance(url=url, key="invoice", business_key=f"inv-{number}",
                                                   with_variables_in_return=True)
        start.auth = auth
        start.add_variable("amount", 2**40 + number, type_="Long")
        start.add_variable("due", "2025-01-31T12:00:00.000+0100", type_="Date")
        start.add_variable("note", "urgent")
        started.append(start())
    first = started[0]
    assert first.business_key == "inv-0" and first.suspended is False
    assert first.variables["amount"].type_ == "Long" and first.variables["amount"].value == 2**40
    assert first.variables["due"].value == "2025-01-31T12:00:00.000+0100" and first.variables["due"].type_ == "Date"
    assert first.variables["note"].type_ == "String"
    listing = pycamunda.processinst.GetList(url=url, business_key="inv-1")
    listing.auth = auth
    [found] = listing()
    assert found.id_ == started[1].id_ and found.definition_id == started[1].definition_id
    variables = pycamunda.processinst.VariablesGetList(url=url, process_instance_id=found.id_)
    variables.auth = auth
    assert variables()["amount"].value == 2**40 + 1
    everyone = pycamunda.processinst.GetList(url=url, process_definition_key="invoice")
    everyone.auth = auth
    assert {p.business_key for p in everyone()} == {"inv-0", "inv-1"}


def test_pycamunda_lists_claims_reassigns_and_completes_tasks(server, tmp_path):
    url = engine_rest(server)
    demo, alice = HTTPBasicAuth("demo", server.tokens["demo"]), HTTPBasicAuth("alice", server.tokens["alice"])
    model = tmp_path / "approval.bpmn"
    model.write_bytes(user_task_process("approval"))
    create = pycamunda.deployment.Create(url=url, name="approvals")
    create.auth = demo
    with model.open("rb") as file:
        create.add_resource(file)
        create()
    start = pycamunda.processdef.StartInstance(url=url, key="approval", business_key="req-9")
    start.auth = demo
    start.add_variable("amount", 120, type_="Long")
    instance = start()

    listing = pycamunda.task.GetList(url=url, process_instance_business_key="req-9", candidate_group="finance")
    listing.auth = alice
    [task] = listing()
    assert task.task_definition_key == "approve" and task.process_instance_id == instance.id_
    assert task.assignee is None and task.priority == 50 and task.created is not None
    claim = pycamunda.task.Claim(url=url, id_=task.id_, user_id="alice")
    claim.auth = alice
    claim()
    read = pycamunda.task.Get(url=url, id_=task.id_)
    read.auth = alice
    assert read().assignee == "alice"
    mine = pycamunda.task.GetList(url=url, assignee="alice")
    mine.auth = alice
    assert [t.id_ for t in mine()] == [task.id_]
    handed = pycamunda.task.SetAssignee(url=url, id_=task.id_, user_id="demo")
    handed.auth = alice
    handed()
    back = pycamunda.task.Unclaim(url=url, id_=task.id_)
    back.auth = demo
    back()
    assert read().assignee is None
    complete = pycamunda.task.Complete(url=url, id_=task.id_, with_variables_in_return=True)
    complete.auth = alice
    complete.add_variable("approved", True)
    complete.add_variable("decidedAt", "2025-02-01T08:00:00.000+0000", type_="Date")
    variables = complete()
    assert variables["approved"].value is True and variables["decidedAt"].type_ == "Date"
    assert variables["amount"].type_ == "Long" and variables["amount"].value == 120
    done = server.get(f"/api/v1/process-instances/{instance.id_}").json()
    assert done["state"] == "completed" and done["variables"]["approved"] is True
    assert list(listing()) == []


def test_pycamunda_correlates_messages_throws_signals_and_reads_incidents(server, tmp_path):
    url = engine_rest(server)
    demo = HTTPBasicAuth("demo", server.tokens["demo"])
    deployed = server.post("/api/v1/deployments", files=[
        ("file", ("pay.bpmn", WAIT_FOR_PAYMENT, "application/xml")), ("file", ("maint.bpmn", SIGNALLED, "application/xml")),
        ("file", ("broken.bpmn", service_model("broken", 'camunda:class="nobody_registered_this"'), "application/xml"))],
        data={"name": "events"})
    assert deployed.status_code == 201, deployed.text
    paying = [server.post("/api/v1/process-instances", json={
        "definition_key": "pay", "business_key": f"order-{n}", "variables": {"orderId": f"A-{n}"}}).json()["id"]
        for n in range(2)]
    correlate = pycamunda.message.CorrelateSingle(url=url, message_name="payment-received", business_key="order-1",
                                                  result_enabled=True)
    correlate.auth = demo
    correlate.add_process_variable("paid", 12.5, type_="Double")
    [result] = correlate()
    assert result.execution.process_instance_id == paying[1]
    assert server.get(f"/api/v1/process-instances/{paying[1]}").json()["variables"]["paid"] == 12.5
    by_key = pycamunda.message.CorrelateSingle(url=url, message_name="payment-received", result_enabled=True)
    by_key.auth = demo
    by_key.add_correlation_key("orderId", "A-0")
    assert [r.execution.process_instance_id for r in by_key()] == [paying[0]]
    unmatched = pycamunda.message.CorrelateSingle(url=url, message_name="payment-received", result_enabled=True)
    unmatched.auth = demo
    with pytest.raises(pycamunda.PyCamundaException) as refused:
        unmatched()
    assert "Cannot correlate message" in str(refused.value)

    waiting = server.post("/api/v1/process-instances", json={"definition_key": "maint"}).json()["id"]
    signal = pycamunda.signal.EventAll(url=url, name="maintenance")
    signal.auth = demo
    signal()
    assert server.get(f"/api/v1/process-instances/{waiting}").json()["state"] == "completed"

    failing = server.post("/api/v1/process-instances", json={"definition_key": "broken"}).json()["id"]
    incidents = pycamunda.incident.GetList(url=url, process_instance_id=failing)
    incidents.auth = demo
    [incident] = incidents()
    assert incident.incident_type.value == "failedJob" and incident.activity_id == "call"
    assert "nobody_registered_this" in incident.incident_message
