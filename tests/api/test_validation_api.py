"""POST /validate reports what a deployment would say; non-executable models are kept for viewing."""
from __future__ import annotations

import io

from helpers import REFUND_BPMN, REPRO, bpmn_document, deploy, flow, one_script_process, start, user_task_process


def validate(client, headers, *files):
    data = {"file": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/api/v1/validate", data=data, headers=headers, content_type="multipart/form-data")


def test_valid_model_lists_its_processes_and_deploys_nothing(client, auth):
    report = validate(client, auth["bob"], ("p.bpmn", one_script_process("x = 1")))
    assert report.status_code == 200
    assert report.json["valid"] is True and report.json["errors"] == []
    assert report.json["processes"] == [{"key": "p", "name": None, "executable": True}]
    assert client.get("/api/v1/process-definitions", headers=auth["bob"]).json == []


def test_invalid_model_gets_every_error_with_element_and_line(client, auth):
    model = bpmn_document('<bpmn:startEvent id="start"/><bpmn:serviceTask id="charge"/>'
                          '<bpmn:endEvent id="end"/>' + flow("f1", "start", "charge") + flow("f2", "charge", "end", "${x >"))
    report = validate(client, auth["bob"], ("m.bpmn", model)).json
    assert report["valid"] is False
    assert {(e["element_id"], e["line"] is not None) for e in report["errors"]} == {("charge", True), ("f2", True)}
    malformed = validate(client, auth["bob"], ("bad.bpmn", b"<x><y></x>")).json
    assert malformed["valid"] is False and malformed["errors"][0]["line"] == 1


def test_unhonoured_extensions_are_warnings_naming_the_element(client, auth):
    model = bpmn_document(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:userTask id="approve" camunda:priority="5" camunda:candidateGroups="finance" camunda:madeUp="1" camunda:decisionRefVersion="2">'
        '<bpmn:extensionElements><camunda:taskListener event="create" class="x.Y"/></bpmn:extensionElements>'
        '</bpmn:userTask><bpmn:endEvent id="end"/>' + flow("f1", "start", "approve") + flow("f2", "approve", "end"))
    model = model.replace(b'<bpmn:process id="p"', b'<bpmn:process id="p" camunda:historyTimeToLive="180"')
    report = validate(client, auth["bob"], ("m.bpmn", model)).json
    assert report["valid"] is True
    warned = {(w["element_id"], w["message"].split()[0]) for w in report["warnings"]}
    assert warned == {("approve", "camunda:decisionRefVersion"), ("approve", "camunda:madeUp"),
                      ("approve", "camunda:taskListener")}
    deployed = deploy(client, auth["demo"], ("m.bpmn", model))
    assert deployed.status_code == 201 and len(deployed.json["warnings"]) == 3


def test_lenient_rewrites_are_reported_and_the_model_runs(client, auth):
    # A task with two unconditioned outgoing flows: BPMN's implicit parallel split.
    model = bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:scriptTask id="split" scriptFormat="python"><bpmn:script>a = 1'
        '</bpmn:script></bpmn:scriptTask><bpmn:scriptTask id="left" scriptFormat="python"><bpmn:script>b = 2'
        '</bpmn:script></bpmn:scriptTask><bpmn:scriptTask id="right" scriptFormat="python"><bpmn:script>c = 3'
        '</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end1"/><bpmn:endEvent id="end2"/>'
        + flow("f1", "start", "split") + flow("f2", "split", "left") + flow("f3", "split", "right")
        + flow("f4", "left", "end1") + flow("f5", "right", "end2"), "implicit")
    deployed = deploy(client, auth["demo"], ("m.bpmn", model))
    assert deployed.status_code == 201, deployed.json
    assert any(w["element_id"] == "split" for w in deployed.json["warnings"])
    done = start(client, auth["demo"], "implicit").json
    assert done["state"] == "completed", done
    assert {"a", "b", "c"} <= set(done["variables"])


def test_non_executable_process_is_kept_for_viewing_and_started_only_when_asked(client, auth):
    model = user_task_process("viewing").replace(b'isExecutable="true"', b'isExecutable="false"')
    refused = deploy(client, auth["demo"], ("v.bpmn", model))
    assert refused.status_code == 422 and "allow_non_executable" in refused.json["errors"][0]["message"]
    data = {"file": [(io.BytesIO(model), "v.bpmn")], "allow_non_executable": "true"}
    kept = client.post("/api/v1/deployments", data=data, headers=auth["demo"], content_type="multipart/form-data")
    assert kept.status_code == 201
    definition = client.get("/api/v1/process-definitions?key=viewing", headers=auth["demo"]).json[0]
    assert definition["executable"] is False
    assert start(client, auth["demo"], "viewing").status_code == 409
    not_admin = client.post("/api/v1/process-instances", json={"definition_key": "viewing", "force": True},
                            headers=auth["alice"])
    assert not_admin.status_code == 403 and "admin" in not_admin.json["detail"]
    forced = client.post("/api/v1/process-instances", json={"definition_key": "viewing", "force": True},
                         headers=auth["demo"])
    assert forced.status_code == 201 and forced.json["state"] == "active"


def form_key_model(key: str, process_id: str = "p") -> bytes:
    return user_task_process(process_id, f'camunda:formKey="{key}"')


def test_forms_fuse_cannot_show_are_warnings_naming_the_element(client, auth):
    for key in ("embedded:app:forms/approve.html", "embedded:deployment:approve.html", "app:approve.jsf",
                "ApproveVacation"):
        report = validate(client, auth["bob"], ("m.bpmn", form_key_model(key))).json
        assert [(w["element_id"], key in w["message"]) for w in report["warnings"]] == [("approve", True)], key
    for key in ("camunda-forms:bpmn:userTaskForm_1",):
        assert validate(client, auth["bob"], ("m.bpmn", form_key_model(key))).json["warnings"] == []


def test_validate_reports_exactly_the_warnings_a_deployment_would(client, auth):
    models = [
        [("refund-approval.bpmn", REFUND_BPMN.read_bytes())],  # its form file is missing
        [("m.bpmn", form_key_model("embedded:app:forms/approve.html", "embedded"))],
        [("m.bpmn", form_key_model("camunda-forms:app:missing.form", "app"))],
        [("m.bpmn", user_task_process("ext", 'camunda:madeUp="1" camunda:async="true"'))],
        [("readonly-required.bpmn", (REPRO / "readonly-required.bpmn").read_bytes()),
         ("readonly-required.form", (REPRO / "readonly-required.form").read_bytes())],
    ]
    for files in models:
        validated = validate(client, auth["bob"], *files).json["warnings"]
        deployed = deploy(client, auth["demo"], *files).json["warnings"]
        assert validated == deployed, files[0][0]
    missing = validate(client, auth["bob"], *models[0]).json["warnings"]
    assert [w["element_id"] for w in missing if "refund-approval.form" in w["message"]] == ["finance_approval"]
