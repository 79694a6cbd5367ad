"""Small builders for tests: BPMN documents and deployments; a counter of the statements a command sends."""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CORPUS = ROOT / "tests" / "corpus" / "miwg"
REPRO = ROOT / "tests" / "fixtures" / "repro"
REFUND_BPMN = SAMPLES / "refund-approval" / "refund-approval.bpmn"
# Judged when someone completes the approval task (fuse.stepUp.policy): deployed with the model.
REFUND_POLICY = SAMPLES / "refund-approval" / "refund-approval.policy.json"

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def bpmn_document(body: str, process_id: str = "p", executable: bool = True, extra: str = "") -> bytes:
    """A BPMN file with one process whose flow elements are `body` (and `extra` processes after it)."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} id="defs" '
            f'targetNamespace="http://fuse.test">\n<bpmn:process id="{process_id}" '
            f'isExecutable="{"true" if executable else "false"}">\n{body}\n</bpmn:process>\n{extra}'
            f'</bpmn:definitions>\n').encode()


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    condition = condition.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
            f'</bpmn:conditionExpression></bpmn:sequenceFlow>')


def script_task(task_id: str, script: str, script_format: str = "python") -> str:
    script = script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f'<bpmn:scriptTask id="{task_id}" name="{task_id}" scriptFormat="{script_format}">'
            f'<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>')


def one_script_process(script: str, process_id: str = "p") -> bytes:
    """start -> script task 'work' -> end."""
    return bpmn_document(
        '<bpmn:startEvent id="start"/>' + script_task("work", script) + '<bpmn:endEvent id="end"/>'
        + flow("f1", "start", "work") + flow("f2", "work", "end"), process_id)


def user_task_process(process_id: str = "p", attributes: str = 'camunda:candidateGroups="finance"') -> bytes:
    """start -> user task 'approve' -> end."""
    return bpmn_document(
        f'<bpmn:startEvent id="start"/><bpmn:userTask id="approve" name="Approve" {attributes}/>'
        '<bpmn:endEvent id="end"/>' + flow("f1", "start", "approve") + flow("f2", "approve", "end"),
        process_id)


def form_task_process(process_id: str = "order") -> bytes:
    """start -> user task 'order' (for finance) with a generated form asking a required `quantity` -> end."""
    return bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="order" camunda:formKey="generated" '
        'camunda:candidateGroups="finance"><bpmn:extensionElements><camunda:formData>'
        '<camunda:formField id="quantity" label="Quantity" type="long"><camunda:validation>'
        '<camunda:constraint name="required"/></camunda:validation></camunda:formField>'
        '</camunda:formData></bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "order") + flow("f2", "order", "end"), process_id)


def loop_process(times: int, process_id: str = "loop") -> bytes:
    """start -> count (i += 1) -> gateway: back to count while i < times, else end."""
    return bpmn_document(
        '<bpmn:startEvent id="start"/>' + script_task("count", "i = i + 1")
        + '<bpmn:exclusiveGateway id="again" default="f_done"/><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "count") + flow("f2", "count", "again")
        + flow("f_loop", "again", "count", f"${{i < {times}}}") + flow("f_done", "again", "end"),
        process_id)


def chain_process(tasks: int, process_id: str = "chain", script: str = "n = n + 1") -> bytes:
    """start -> `tasks` script tasks in a row (each runs `script`) -> end: the largest model per byte."""
    body = ['<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>']
    previous = "start"
    for index in range(tasks):
        body.append(script_task(f"t{index}", script))
        body.append(flow(f"f{index}", previous, f"t{index}"))
        previous = f"t{index}"
    body.append(flow("f_end", previous, "end"))
    return bpmn_document("\n".join(body), process_id)


def deploy(client, headers, *files: tuple[str, bytes], name: str | None = None):
    """POST /deployments with (filename, bytes) pairs; returns the response."""
    data = {"file": [(io.BytesIO(content), filename) for filename, content in files]}
    if name:
        data["name"] = name
    return client.post("/api/v1/deployments", data=data, headers=headers, content_type="multipart/form-data")


def start(client, headers, key: str, variables: dict | None = None, business_key: str | None = None):
    body = {"definition_key": key, "variables": variables or {}}
    if business_key:
        body["business_key"] = business_key
    return client.post("/api/v1/process-instances", json=body, headers=headers)


def csrf_of(page: bytes) -> str:
    """The CSRF token a page's form carries."""
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def sign_in_to_pages(client, name: str, secret: str, field: str = "password"):
    """Post the sign-in form (a password, or an API token), as a browser would after GET /login."""
    form = client.get("/login")
    return client.post("/login", data={"name": name, field: secret, "csrf_token": csrf_of(form.data), "next": "/"})


EXTERNAL = 'camunda:type="external" camunda:topic="billing"'  # a service task for workers of "billing"


def service_model(key: str, handler: str, extra: str = "", boundary: bool = False) -> bytes:
    body = (f'<bpmn:startEvent id="start"/><bpmn:serviceTask id="call" {handler}>{extra}</bpmn:serviceTask>'
            '<bpmn:endEvent id="end"/>' + flow("f1", "start", "call") + flow("f2", "call", "end"))
    if boundary:
        body += ('<bpmn:boundaryEvent id="no_stock" attachedToRef="call"><bpmn:errorEventDefinition '
                 'errorRef="err"/></bpmn:boundaryEvent><bpmn:scriptTask id="backorder" scriptFormat="python">'
                 '<bpmn:script>backordered = True</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end_b"/>'
                 + flow("f3", "no_stock", "backorder") + flow("f4", "backorder", "end_b"))
    document = bpmn_document(body, key)
    if boundary:
        document = document.replace(b"</bpmn:definitions>",
                                    b'<bpmn:error id="err" errorCode="OUT_OF_STOCK"/></bpmn:definitions>')
    return document


@contextmanager
def statements_sent(bind):
    """`with statements_sent(engine) as sent:` collects every statement sent through `bind` (COMMIT is not one)."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany):
        sent.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(bind, "before_cursor_execute", count)
