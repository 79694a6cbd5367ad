"""Forms over REST: the task form, server-side validation that changes nothing, start forms."""
from __future__ import annotations

import json

from helpers import REFUND_BPMN, REFUND_POLICY, REPRO, SAMPLES, bpmn_document, deploy, flow, start

REFUND_FORM = SAMPLES / "refund-approval" / "refund-approval.form"
POLICY = ("refund-approval.policy.json", REFUND_POLICY.read_bytes())


def refund_task(client, auth) -> dict:
    response = deploy(client, auth["demo"], ("refund-approval.bpmn", REFUND_BPMN.read_bytes()),
                      ("refund-approval.form", REFUND_FORM.read_bytes()), POLICY)
    assert response.status_code == 201, response.json
    instance = start(client, auth["demo"], "refund_approval", {"amount": 250, "reason": "late", "customer": "c"})
    return instance.json["open_tasks"][0]


def test_task_form_has_schema_hints_and_current_values(client, auth):
    task = refund_task(client, auth)
    form = client.get(f"/api/v1/tasks/{task['id']}/form", headers=auth["alice"])
    assert form.status_code == 200
    body = form.json
    assert body["schema"]["properties"]["approved"]["type"] == "boolean"
    assert "approved" in body["schema"]["required"]
    assert body["ui_schema"]["fields"]["approved"]["widget"] == "radio"
    assert body["data"]["amount"] == 250 and body["data"]["reason"] == "late"


def test_invalid_submission_gets_field_errors_and_changes_nothing(client, auth):
    task = refund_task(client, auth)
    url = f"/api/v1/tasks/{task['id']}/complete"
    refused = client.post(url, json={"variables": {"comment": "x" * 501}}, headers=auth["alice"])
    assert refused.status_code == 422
    assert refused.json["type"] == "urn:fuse:problem:validation-failed"
    fields = {e["field"] for e in refused.json["errors"]}
    assert fields == {"/approved", "/comment"}
    still_open = client.get(f"/api/v1/tasks/{task['id']}", headers=auth["alice"]).json
    assert still_open["state"] == "open" and "comment" not in still_open["variables"]
    done = client.post(url, json={"variables": {"approved": "true", "comment": "ok"}}, headers=auth["alice"])
    assert done.status_code == 200, done.json
    assert done.json["variables"]["approved"] is True and done.json["variables"]["paid"] is True


START_SCHEMA = {"type": "object", "required": ["amount"], "properties": {
    "amount": {"type": "integer", "minimum": 1, "title": "Amount"},
    "customer": {"type": "string", "minLength": 2}}}


def test_start_form_checks_and_types_the_start_variables(client, auth):
    model = bpmn_document('<bpmn:startEvent id="start" camunda:formKey="json:order"/><bpmn:endEvent id="end"/>'
                          + flow("f1", "start", "end"), "ordered")
    deployed = deploy(client, auth["demo"], ("o.bpmn", model), ("order.schema.json", json.dumps(START_SCHEMA).encode()))
    definition = deployed.json["definitions"][0]
    form = client.get(f"/api/v1/process-definitions/{definition['id']}/start-form", headers=auth["bob"])
    assert form.status_code == 200 and form.json["schema"]["properties"]["amount"]["type"] == "integer"
    refused = start(client, auth["bob"], "ordered", {"amount": "0", "customer": "A"})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json["errors"]} == {"/amount", "/customer"}
    assert client.get("/api/v1/process-instances", headers=auth["bob"]).json["total"] == 0
    started = start(client, auth["bob"], "ordered", {"amount": "12", "customer": "ACME"})
    assert started.status_code == 201 and started.json["variables"]["amount"] == 12


def test_tasks_without_forms_say_so(client, auth):
    from helpers import user_task_process

    deploy(client, auth["demo"], ("p.bpmn", user_task_process("p")))
    task = start(client, auth["demo"], "p").json["open_tasks"][0]
    assert client.get(f"/api/v1/tasks/{task['id']}/form", headers=auth["demo"]).status_code == 404
    definition = client.get("/api/v1/process-definitions?key=p", headers=auth["demo"]).json[0]
    assert client.get(f"/api/v1/process-definitions/{definition['id']}/start-form",
                      headers=auth["demo"]).status_code == 404


def test_read_only_fields_keep_the_process_values(client, auth):
    task = refund_task(client, auth)
    done = client.post(f"/api/v1/tasks/{task['id']}/complete",
                       json={"variables": {"approved": True, "amount": 1}}, headers=auth["alice"])
    assert done.status_code == 200 and done.json["variables"]["amount"] == 250


def test_a_read_only_required_field_is_satisfied_by_the_process_value(client, auth):
    deploy(client, auth["demo"], ("readonly-required.bpmn", (REPRO / "readonly-required.bpmn").read_bytes()),
           ("readonly-required.form", (REPRO / "readonly-required.form").read_bytes()))
    task = start(client, auth["demo"], "readonlyRequired", {"x": "hello"}).json["open_tasks"][0]
    url = f"/api/v1/tasks/{task['id']}/complete"
    done = client.post(url, json={"variables": {"y": "filled", "x": "changed"}}, headers=auth["demo"])
    assert done.status_code == 200, done.json
    assert done.json["variables"]["x"] == "hello" and done.json["variables"]["y"] == "filled"


def test_a_read_only_required_field_the_process_lacks_is_still_required(client, auth):
    deploy(client, auth["demo"], ("readonly-required.bpmn", (REPRO / "readonly-required.bpmn").read_bytes()),
           ("readonly-required.form", (REPRO / "readonly-required.form").read_bytes()))
    task = start(client, auth["demo"], "readonlyRequired").json["open_tasks"][0]
    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"variables": {"x": "typed"}},
                          headers=auth["demo"])
    assert refused.status_code == 422 and [e["field"] for e in refused.json["errors"]] == ["/x"]


def test_a_form_that_was_not_deployed_is_a_warning_and_does_not_block_work(client, auth):
    deployed = deploy(client, auth["demo"], ("refund-approval.bpmn", REFUND_BPMN.read_bytes()), POLICY)
    assert any("refund-approval.form" in w["message"] for w in deployed.json["warnings"])
    task = start(client, auth["demo"], "refund_approval", {"amount": 250, "reason": "r", "customer": "c"}
                 ).json["open_tasks"][0]
    assert client.get(f"/api/v1/tasks/{task['id']}/form", headers=auth["alice"]).status_code == 422
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"variables": {"approved": True}},
                       headers=auth["alice"])
    assert done.status_code == 200 and done.json["state"] == "completed"


def test_a_camunda_forms_app_key_uses_the_form_deployed_under_that_file_name(client, auth):
    model = REFUND_BPMN.read_bytes().replace(b"camunda-forms:deployment:refund-approval.form",
                                             b"camunda-forms:app:forms/refund-approval.form")
    deployed = deploy(client, auth["demo"], ("refund-approval.bpmn", model),
                      ("refund-approval.form", REFUND_FORM.read_bytes()), POLICY)
    assert deployed.status_code == 201 and deployed.json["warnings"] == []
    task = start(client, auth["demo"], "refund_approval", {"amount": 250, "reason": "late", "customer": "c"}
                 ).json["open_tasks"][0]
    form = client.get(f"/api/v1/tasks/{task['id']}/form", headers=auth["alice"])
    assert form.status_code == 200 and form.json["schema"]["properties"]["approved"]["type"] == "boolean"
    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}}, headers=auth["alice"])
    assert refused.status_code == 422 and [e["field"] for e in refused.json["errors"]] == ["/approved"]


def test_an_app_form_that_was_not_deployed_is_a_warning_naming_the_task(client, auth):
    model = REFUND_BPMN.read_bytes().replace(b"camunda-forms:deployment:refund-approval.form",
                                             b"camunda-forms:app:refund-approval.form")
    deployed = deploy(client, auth["demo"], ("refund-approval.bpmn", model), POLICY)
    assert [(w["element_id"], "refund-approval.form" in w["message"]) for w in deployed.json["warnings"]] == [
        ("finance_approval", True)]


GENERATED = """<bpmn:startEvent id="start"/>
<bpmn:userTask id="order" camunda:formKey="generated">
  <bpmn:extensionElements><camunda:formData>
    <camunda:formField id="quantity" label="Quantity" type="long">
      <camunda:validation><camunda:constraint name="required"/><camunda:constraint name="min" config="1"/>
      </camunda:validation></camunda:formField>
    <camunda:formField id="express" label="Express" type="boolean" defaultValue="false"/>
    <camunda:formField id="size" label="Size" type="enum">
      <camunda:value id="s" name="Small"/><camunda:value id="l" name="Large"/></camunda:formField>
  </camunda:formData></bpmn:extensionElements>
</bpmn:userTask><bpmn:endEvent id="end"/>""" + flow("f1", "start", "order") + flow("f2", "order", "end")


def test_camunda_7_generated_form_checks_and_types_fields(client, auth):
    deploy(client, auth["demo"], ("g.bpmn", bpmn_document(GENERATED, "generated")))
    task = start(client, auth["demo"], "generated").json["open_tasks"][0]
    form = client.get(f"/api/v1/tasks/{task['id']}/form", headers=auth["demo"]).json
    assert form["schema"]["properties"]["quantity"]["type"] == "integer" and form["data"]["express"] is False
    url = f"/api/v1/tasks/{task['id']}/complete"
    refused = client.post(url, json={"variables": {"quantity": "0", "size": "xl"}}, headers=auth["demo"])
    assert refused.status_code == 422 and {e["field"] for e in refused.json["errors"]} == {"/quantity", "/size"}
    done = client.post(url, json={"variables": {"quantity": "3", "express": "on", "size": "l"}}, headers=auth["demo"])
    assert done.status_code == 200
    assert (done.json["variables"]["quantity"], done.json["variables"]["express"]) == (3, True)
