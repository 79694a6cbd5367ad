"""A message sent to POST /messages starts an interrupting event sub-process: the instance's open task
is cancelled, the event sub-process runs with the message's variables, the instance completes."""
from __future__ import annotations

from helpers import bpmn_document, deploy, flow, start

CANCELLABLE_ORDER = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:userTask id="pack" name="Pack"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "pack") + flow("f2", "pack", "end")
    + '<bpmn:subProcess id="on_cancel" triggeredByEvent="true"><bpmn:startEvent id="cancelled">'
    '<bpmn:messageEventDefinition messageRef="m_cancel"/></bpmn:startEvent><bpmn:scriptTask id="refund" '
    'scriptFormat="python"><bpmn:script>refunded = amount</bpmn:script></bpmn:scriptTask>'
    '<bpmn:endEvent id="cancel_end"/>' + flow("c1", "cancelled", "refund") + flow("c2", "refund", "cancel_end")
    + '</bpmn:subProcess>', "order").replace(
        b"</bpmn:definitions>", b'<bpmn:message id="m_cancel" name="order-cancelled"/></bpmn:definitions>')


def test_message_to_an_interrupting_event_sub_process_cancels_the_open_task(client, auth):
    deploy(client, auth["demo"], ("order.bpmn", CANCELLABLE_ORDER))
    kept = start(client, auth["demo"], "order", {"amount": 10}, business_key="O-1").json["id"]
    cancelled = start(client, auth["demo"], "order", {"amount": 25}, business_key="O-2").json["id"]
    [task] = client.get(f"/api/v1/tasks?process_instance_id={cancelled}", headers=auth["demo"]).json["items"]

    response = client.post("/api/v1/messages", headers=auth["bob"], json={
        "name": "order-cancelled", "business_key": "O-2", "variables": {"reason": "changed my mind"}})
    assert response.status_code == 200 and response.json["delivered"] == [cancelled]

    instance = client.get(f"/api/v1/process-instances/{cancelled}", headers=auth["demo"]).json
    assert instance["state"] == "completed"
    assert instance["variables"]["refunded"] == 25 and instance["variables"]["reason"] == "changed my mind"
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=auth["demo"]).json["state"] == "cancelled"
    history = client.get(f"/api/v1/process-instances/{cancelled}/history", headers=auth["demo"]).json
    assert {"activity_cancelled", "message_received"} <= {e["type"] for e in history}
    other = client.get(f"/api/v1/process-instances/{kept}", headers=auth["demo"]).json
    assert other["state"] == "active" and [a["activity_id"] for a in other["active_activities"]] == ["pack"]
