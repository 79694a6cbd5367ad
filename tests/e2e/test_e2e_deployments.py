"""Deploying through the real server: refused uploads, redeployment, and the API's own description."""
from __future__ import annotations

from pathlib import Path

from e2e.support import assert_problem
from helpers import REFUND_BPMN, bpmn_document, flow, script_task

DEFINITIONS = "/api/v1/process-definitions"
DEPLOYMENTS = "/api/v1/deployments"
BPMN_NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def line_of(document: bytes, text: str) -> int:
    """The 1-based line of the first occurrence of `text` in `document`."""
    before, found, _ = document.decode().partition(text)
    assert found, text
    return before.count("\n") + 1


def passwd_markers() -> list[str]:
    """Text that would only be in a response that leaked /etc/passwd."""
    markers = ["root:x:0:0", "/bin/bash", "/usr/sbin/nologin", "/bin/sh"]
    path = Path("/etc/passwd")
    if path.exists():
        markers += [line for line in path.read_text().splitlines() if line.strip()][:3]
    return markers


def catalogue(server) -> tuple[list, list]:
    definitions, deployments = server.get(DEFINITIONS), server.get(DEPLOYMENTS)
    assert definitions.status_code == 200 and deployments.status_code == 200
    return definitions.json(), deployments.json()


def test_bad_uploads_are_refused_with_clear_errors(server):
    sample = server.deploy((REFUND_BPMN.name, REFUND_BPMN.read_bytes()))
    assert sample.status_code == 201, sample.text
    before = catalogue(server)

    malformed = (b'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions ' + BPMN_NS.encode()
                 + b' id="d" targetNamespace="http://fuse.test">\n  <bpmn:process id="p" isExecutable="true">\n'
                 + b'</bpmn:definitions>\n')
    body = assert_problem(server.deploy(("broken.bpmn", malformed)), 400, "urn:fuse:problem:malformed-xml")
    assert body["line"] == 4, body
    assert isinstance(body["column"], int) and body["column"] > 0, body
    assert body["file"] == "broken.bpmn", body
    assert "broken.bpmn" in body["detail"]

    xxe = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
           b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
           b'<bpmn:definitions ' + BPMN_NS.encode() + b' id="d" targetNamespace="http://fuse.test">'
           b'<bpmn:process id="leak" name="&e;" isExecutable="true"><bpmn:documentation>&e;'
           b'</bpmn:documentation><bpmn:startEvent id="s"/></bpmn:process></bpmn:definitions>\n')
    response = server.deploy(("xxe.bpmn", xxe))
    assert_problem(response, 400, "urn:fuse:problem:malformed-xml")
    for marker in passwd_markers():
        assert marker not in response.text, marker

    laughs = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
              + b"".join(f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'.encode()
                         for n in range(1, 10))
              + b']>\n<bpmn:definitions ' + BPMN_NS.encode() + b' id="d" targetNamespace="http://fuse.test">'
              b'<bpmn:process id="lolz" name="&lol9;" isExecutable="true"/></bpmn:definitions>\n')
    response = server.deploy(("laughs.bpmn", laughs))
    assert_problem(response, 400, "urn:fuse:problem:malformed-xml")
    assert "lollollol" not in response.text

    not_executable = bpmn_document('<bpmn:startEvent id="start"/>', process_id="draft", executable=False)
    body = assert_problem(server.deploy(("draft.bpmn", not_executable)), 422, "urn:fuse:problem:invalid-model")
    assert isinstance(body["errors"], list) and body["errors"], body
    assert all(e["message"] for e in body["errors"]), body

    unsupported = bpmn_document(
        '<bpmn:startEvent id="start"/>\n'
        '<bpmn:serviceTask id="charge_card" name="Charge card"/>\n'
        + script_task("compute_fee", "fee = amount * 0.1", script_format="groovy") + '\n'
        '<bpmn:endEvent id="end"/>\n'
        + flow("f1", "start", "charge_card") + flow("f2", "charge_card", "compute_fee")
        + flow("f3", "compute_fee", "end"), process_id="unsupported")
    body = assert_problem(server.deploy(("unsupported.bpmn", unsupported)), 422, "urn:fuse:problem:invalid-model")
    by_element = {e["element_id"]: e for e in body["errors"]}
    assert {"charge_card", "compute_fee"} <= set(by_element), body
    assert by_element["charge_card"]["line"] == line_of(unsupported, 'id="charge_card"'), body
    assert by_element["compute_fee"]["line"] == line_of(unsupported, 'id="compute_fee"'), body
    assert "groovy" in by_element["compute_fee"]["message"].lower(), body
    assert "serviceTask" in by_element["charge_card"]["message"], body

    body = assert_problem(server.deploy(("refund.txt", REFUND_BPMN.read_bytes())), 400)
    assert "refund.txt" in body["detail"], body

    changed = REFUND_BPMN.read_bytes().replace(b'name="Refund Approval"', b'name="Refund Approval (new)"')
    assert changed != REFUND_BPMN.read_bytes()
    assert_problem(server.deploy((REFUND_BPMN.name, changed), user=None), 401, "urn:fuse:problem:unauthorized")
    assert_problem(server.deploy((REFUND_BPMN.name, changed), user=None,
                                 headers={"Authorization": "Bearer not-a-token"}), 401)
    assert_problem(server.deploy((REFUND_BPMN.name, changed), user="bob"), 403, "urn:fuse:problem:forbidden")
    assert_problem(server.deploy((REFUND_BPMN.name, changed), user="alice"), 403, "urn:fuse:problem:forbidden")

    assert catalogue(server) == before


def test_redeploying_identical_content_returns_existing_deployment(server):
    content = REFUND_BPMN.read_bytes()
    first = server.deploy((REFUND_BPMN.name, content))
    assert first.status_code == 201, first.text
    deployment = first.json()
    assert [(d["key"], d["version"]) for d in deployment["definitions"]] == [("refund_approval", 1)]

    again = server.deploy((REFUND_BPMN.name, content))
    assert again.status_code == 200, again.text
    assert again.json()["id"] == deployment["id"]
    assert again.json()["definitions"] == deployment["definitions"]
    assert [d["version"] for d in server.get(DEFINITIONS, params={"key": "refund_approval"}).json()] == [1]
    assert len(server.get(DEPLOYMENTS).json()) == 1

    changed = content.replace(b'name="Refund Approval"', b'name="Refund Approval, revised"')
    second = server.deploy((REFUND_BPMN.name, changed))
    assert second.status_code == 201, second.text
    assert second.json()["id"] != deployment["id"]
    assert [(d["key"], d["version"]) for d in second.json()["definitions"]] == [("refund_approval", 2)]

    versions = server.get(DEFINITIONS, params={"key": "refund_approval"}).json()
    assert [d["version"] for d in versions] == [1, 2]
    latest = server.get(DEFINITIONS, params={"key": "refund_approval", "latest": "true"}).json()
    assert [(d["version"], d["name"]) for d in latest] == [(2, "Refund Approval, revised")]
    assert len(server.get(DEPLOYMENTS).json()) == 2

    started = server.start_instance("refund_approval", {"amount": 20})
    assert started.status_code == 201, started.text
    assert started.json()["definition_id"] == second.json()["definitions"][0]["id"]


OPENAPI_PATHS = [
    "/api/v1/deployments",
    "/api/v1/deployments/{deployment_id}",
    "/api/v1/process-definitions",
    "/api/v1/process-definitions/{definition_id}",
    "/api/v1/process-definitions/{definition_id}/xml",
    "/api/v1/process-instances",
    "/api/v1/process-instances/{instance_id}",
    "/api/v1/process-instances/{instance_id}/variables",
    "/api/v1/process-instances/{instance_id}/suspend",
    "/api/v1/process-instances/{instance_id}/resume",
    "/api/v1/process-instances/{instance_id}/history",
    "/api/v1/tasks",
    "/api/v1/tasks/{task_id}",
    "/api/v1/tasks/{task_id}/claim",
    "/api/v1/tasks/{task_id}/unclaim",
    "/api/v1/tasks/{task_id}/assign",
    "/api/v1/tasks/{task_id}/complete",
]


def test_openapi_and_docs(server):
    response = server.get("/api/v1/openapi.json", user=None)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    spec = response.json()
    assert spec["openapi"].startswith("3."), spec["openapi"]
    assert spec["info"]["title"]
    missing = [p for p in OPENAPI_PATHS if p not in spec["paths"]]
    assert not missing, f"missing from openapi.json: {missing}"
    methods = {path: set(ops) for path, ops in spec["paths"].items()}
    assert {"get", "post"} <= methods["/api/v1/deployments"]
    assert {"get", "post"} <= methods["/api/v1/process-instances"]
    assert {"get", "delete"} <= methods["/api/v1/process-instances/{instance_id}"]
    assert {"get", "patch"} <= methods["/api/v1/process-instances/{instance_id}/variables"]
    for action in ("claim", "unclaim", "assign", "complete"):
        assert "post" in methods[f"/api/v1/tasks/{{task_id}}/{action}"]

    docs = server.get("/api/docs", user=None)
    assert docs.status_code == 200, docs.text
    assert docs.headers["Content-Type"].startswith("text/html")
    assert "<html" in docs.text.lower()

    content = REFUND_BPMN.read_bytes()
    deployed = server.deploy((REFUND_BPMN.name, content))
    assert deployed.status_code == 201, deployed.text
    definition_id = deployed.json()["definitions"][0]["id"]
    definition = server.get(f"{DEFINITIONS}/{definition_id}")
    assert definition.status_code == 200 and definition.json()["resource_name"] == REFUND_BPMN.name
    xml = server.get(f"{DEFINITIONS}/{definition_id}/xml")
    assert xml.status_code == 200, xml.text
    assert xml.headers["Content-Type"].startswith("application/xml"), xml.headers["Content-Type"]
    assert xml.content == content
    assert_problem(server.get(f"{DEFINITIONS}/{definition_id}/xml", user=None), 401)
    assert_problem(server.get(f"{DEFINITIONS}/no-such-definition/xml"), 404, "urn:fuse:problem:not-found")
