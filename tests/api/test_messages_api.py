"""Messages and signals: correlation by business key and correlation keys, starts, broadcasts."""
from __future__ import annotations

from helpers import bpmn_document, deploy, flow, start
from message_models import CANCELLABLE, ORDER_START, SIGNALLED, WAIT_FOR_PAYMENT, with_defs

def send(client, headers, **body):
    return client.post("/api/v1/messages", json=body, headers=headers)


def state(client, headers, instance_id):
    return client.get(f"/api/v1/process-instances/{instance_id}", headers=headers).json


def test_message_reaches_only_the_instance_with_its_correlation_key(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", WAIT_FOR_PAYMENT))
    a = start(client, auth["demo"], "pay", {"orderId": "A-1"}).json["id"]
    b = start(client, auth["demo"], "pay", {"orderId": "B-2"}).json["id"]
    ambiguous = send(client, auth["bob"], name="payment-received")
    assert ambiguous.status_code == 409
    done = send(client, auth["bob"], name="payment-received", correlation_keys={"orderId": "A-1"},
                variables={"amount_paid": 12.5})
    assert done.status_code == 200 and done.json == {"started": [], "delivered": [a], "buffered": False}
    assert state(client, auth["demo"], a)["state"] == "completed"
    assert state(client, auth["demo"], a)["variables"]["amount_paid"] == 12.5
    assert state(client, auth["demo"], b)["state"] == "active"
    assert send(client, auth["bob"], name="payment-received", correlation_keys={"orderId": "Z"}).status_code == 404
    assert send(client, auth["bob"], name="nobody-listens").status_code == 404


def test_business_key_and_all_select_the_receivers(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", WAIT_FOR_PAYMENT))
    ids = [start(client, auth["demo"], "pay", {"orderId": f"K{n}"}, business_key=f"bk{n % 2}").json["id"]
           for n in range(3)]
    one = send(client, auth["bob"], name="payment-received", business_key="bk1")
    assert one.json["delivered"] == [ids[1]]
    rest = send(client, auth["bob"], name="payment-received", all=True)
    assert sorted(rest.json["delivered"]) == sorted([ids[0], ids[2]])


def test_message_start_event_starts_an_instance_with_the_variables(client, auth):
    deploy(client, auth["demo"], ("o.bpmn", ORDER_START))
    started = send(client, auth["bob"], name="order-placed", business_key="O-9", variables={"item": "lamp"})
    assert started.status_code == 200 and len(started.json["started"]) == 1
    instance = state(client, auth["demo"], started.json["started"][0])
    assert instance["business_key"] == "O-9" and instance["variables"]["item"] == "lamp"
    assert [a["activity_id"] for a in instance["active_activities"]] == ["pack"]


def test_signal_is_broadcast_to_every_waiting_instance(client, auth):
    deploy(client, auth["demo"], ("s.bpmn", SIGNALLED))
    ids = [start(client, auth["demo"], "maint").json["id"] for _ in range(3)]
    response = client.post("/api/v1/signals", json={"name": "maintenance", "variables": {"window": "tonight"}},
                           headers=auth["bob"])
    assert response.status_code == 200 and sorted(response.json["delivered"]) == sorted(ids)
    assert all(state(client, auth["demo"], i)["state"] == "completed" for i in ids)
    again = client.post("/api/v1/signals", json={"name": "maintenance"}, headers=auth["bob"])
    assert again.json == {"started": [], "delivered": [], "buffered": False}


def test_message_boundary_event_interrupts_the_task(client, auth):
    deploy(client, auth["demo"], ("c.bpmn", CANCELLABLE))
    instance = start(client, auth["demo"], "cancellable").json
    assert send(client, auth["bob"], name="cancel", business_key=None).status_code == 200
    after = state(client, auth["demo"], instance["id"])
    assert after["state"] == "completed" and after["open_tasks"] == []
    history = client.get(f"/api/v1/process-instances/{instance['id']}/history", headers=auth["demo"]).json
    assert "end_cancelled" in [e["activity_id"] for e in history]


THROWER = with_defs(bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:intermediateThrowEvent id="tell">'
    '<bpmn:messageEventDefinition messageRef="m_order"/></bpmn:intermediateThrowEvent>'
    '<bpmn:intermediateThrowEvent id="warn"><bpmn:signalEventDefinition signalRef="s_maint"/>'
    '</bpmn:intermediateThrowEvent><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "tell") + flow("f2", "tell", "warn") + flow("f3", "warn", "end"), "thrower"))


def test_events_thrown_inside_a_process_reach_other_instances(client, auth):
    deploy(client, auth["demo"], ("o.bpmn", ORDER_START), ("s.bpmn", SIGNALLED), ("t.bpmn", THROWER))
    waiting = start(client, auth["demo"], "maint").json["id"]
    thrower = start(client, auth["demo"], "thrower", {"item": "chair"}).json
    assert thrower["state"] == "completed"
    assert state(client, auth["demo"], waiting)["state"] == "completed"
    orders = client.get("/api/v1/process-instances?definition_key=order", headers=auth["bob"]).json
    assert orders["total"] == 1


def test_overdue_tasks_are_listed(client, auth):
    from helpers import user_task_process

    deploy(client, auth["demo"], ("late.bpmn", user_task_process("late", 'camunda:dueDate="2020-01-01T00:00:00Z"')),
           ("soon.bpmn", user_task_process("soon", 'camunda:dueDate="P10D"')))
    late = start(client, auth["demo"], "late").json["open_tasks"][0]["id"]
    start(client, auth["demo"], "soon")
    overdue = client.get("/api/v1/tasks?overdue=true", headers=auth["demo"]).json["items"]
    assert [t["id"] for t in overdue] == [late]


def test_a_message_sent_early_is_buffered_until_the_instance_waits(client, auth, database_url):
    from engine.store.db import open_database
    from engine.worker.worker import Worker

    gate = with_defs(bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="prepare"/>'
        '<bpmn:receiveTask id="wait_payment" messageRef="m_paid"/><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "prepare") + flow("f2", "prepare", "wait_payment") + flow("f3", "wait_payment", "end"),
        "gate"))
    deploy(client, auth["demo"], ("g.bpmn", gate))
    instance = start(client, auth["demo"], "gate", {"orderId": "E-1"}).json
    early = send(client, auth["bob"], name="payment-received", correlation_keys={"orderId": "E-1"},
                 variables={"paid": True}, ttl_ms=60_000)
    assert early.status_code == 200 and early.json["buffered"] is True
    assert send(client, auth["bob"], name="payment-received", correlation_keys={"orderId": "E-1"}).status_code == 404
    task = instance["open_tasks"][0]["id"]
    assert client.post(f"/api/v1/tasks/{task}/complete", json={}, headers=auth["demo"]).json["state"] == "active"
    Worker(open_database(database_url)).run_once()
    after = state(client, auth["demo"], instance["id"])
    assert after["state"] == "completed" and after["variables"]["paid"] is True


def test_a_thrown_message_goes_to_the_instance_with_its_correlation_key(client, auth):
    payer = with_defs(bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:intermediateThrowEvent id="pay">'
        '<bpmn:messageEventDefinition messageRef="m_paid"/></bpmn:intermediateThrowEvent><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "pay") + flow("f2", "pay", "end"), "payer"))
    deploy(client, auth["demo"], ("p.bpmn", WAIT_FOR_PAYMENT), ("payer.bpmn", payer))
    a = start(client, auth["demo"], "pay", {"orderId": "A-1"}).json["id"]
    b = start(client, auth["demo"], "pay", {"orderId": "B-2"}).json["id"]
    start(client, auth["demo"], "payer", {"orderId": "B-2"})
    assert state(client, auth["demo"], b)["state"] == "completed"
    assert state(client, auth["demo"], a)["state"] == "active"


def event_subprocess_model(key: str, definition: str) -> bytes:
    return with_defs(bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="work"/><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "work") + flow("f2", "work", "end")
        + f'<bpmn:subProcess id="{key}_on_event" triggeredByEvent="true"><bpmn:startEvent id="esp_start" '
        f'isInterrupting="false">{definition}</bpmn:startEvent><bpmn:scriptTask id="note" scriptFormat="python">'
        '<bpmn:script>noted = True</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="esp_end"/>'
        + flow("e1", "esp_start", "note") + flow("e2", "note", "esp_end") + '</bpmn:subProcess>', key))


def test_signals_and_messages_start_event_sub_processes(client, auth):
    deploy(client, auth["demo"], ("s.bpmn", event_subprocess_model("esp_signal", '<bpmn:signalEventDefinition signalRef="s_maint"/>')),
           ("m.bpmn", event_subprocess_model("esp_message", '<bpmn:messageEventDefinition messageRef="m_cancel"/>')))
    signalled = start(client, auth["demo"], "esp_signal").json["id"]
    messaged = start(client, auth["demo"], "esp_message", business_key="M-1").json["id"]
    response = client.post("/api/v1/signals", json={"name": "maintenance"}, headers=auth["bob"])
    assert response.json["delivered"] == [signalled]
    history = client.get(f"/api/v1/process-instances/{signalled}/history", headers=auth["demo"]).json
    assert "note" in [e["activity_id"] for e in history]
    delivered = send(client, auth["bob"], name="cancel", business_key="M-1", variables={"why": "test"})
    assert delivered.status_code == 200 and delivered.json["delivered"] == [messaged]
    history = client.get(f"/api/v1/process-instances/{messaged}/history", headers=auth["demo"]).json
    assert "note" in [e["activity_id"] for e in history]
    assert [a["activity_id"] for a in state(client, auth["demo"], messaged)["active_activities"]] == ["work"]


BPMN_CORRELATED = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:receiveTask id="wait_shipment" messageRef="m_shipped"/>'
    '<bpmn:endEvent id="end"/>' + flow("f1", "start", "wait_shipment") + flow("f2", "wait_shipment", "end"),
    "ship").replace(b"</bpmn:definitions>", (
        '<bpmn:message id="m_shipped" name="shipped"/>'
        '<bpmn:correlationProperty id="order_key" name="order key">'
        '<bpmn:correlationPropertyRetrievalExpression messageRef="m_shipped">'
        '<bpmn:messagePath>order_id</bpmn:messagePath></bpmn:correlationPropertyRetrievalExpression>'
        '</bpmn:correlationProperty></bpmn:definitions>').encode())


def test_bpmn_correlation_properties_select_the_receiver(client, auth):
    deploy(client, auth["demo"], ("s.bpmn", BPMN_CORRELATED))
    a = start(client, auth["demo"], "ship", {"order_id": "A-1"}).json["id"]
    b = start(client, auth["demo"], "ship", {"order_id": "B-2"}).json["id"]
    assert send(client, auth["bob"], name="shipped").status_code == 409
    done = send(client, auth["bob"], name="shipped", correlation_keys={"order_key": "B-2"})
    assert done.status_code == 200 and done.json["delivered"] == [b]
    assert state(client, auth["demo"], b)["state"] == "completed"
    assert state(client, auth["demo"], a)["state"] == "active"
    assert send(client, auth["bob"], name="shipped", correlation_keys={"order_key": "C-3"}).status_code == 404
