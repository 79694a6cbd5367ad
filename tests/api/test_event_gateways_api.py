"""Event-based gateways wait for the events after them; the first to come takes its branch and the
others are withdrawn (each request loads the instance afresh from the database)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from api.extensions import db
from engine.store.models import EventSubscription, Job
from helpers import REPRO, bpmn_document, deploy, flow, start

REPROS = [("ebg-top.bpmn", "ebg0"), ("ebg-sub.bpmn", "ebg1"), ("ebg-nested-sub.bpmn", "ebg2")]

EVENTS = ('<bpmn:message id="m_paid" name="paid"/><bpmn:signal id="s_closed" name="shop-closed"/>'
          '<bpmn:message id="m_cancel" name="cancel-order"/>')
ANY_OF_FOUR = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:eventBasedGateway id="gw"/>'
    '<bpmn:receiveTask id="wait_paid" messageRef="m_paid"/>'
    '<bpmn:intermediateCatchEvent id="closed"><bpmn:signalEventDefinition signalRef="s_closed"/>'
    '</bpmn:intermediateCatchEvent>'
    '<bpmn:intermediateCatchEvent id="cancelled"><bpmn:messageEventDefinition messageRef="m_cancel"/>'
    '</bpmn:intermediateCatchEvent>'
    '<bpmn:intermediateCatchEvent id="too_late"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
    '<bpmn:endEvent id="end_paid"/><bpmn:endEvent id="end_closed"/><bpmn:endEvent id="end_cancelled"/>'
    '<bpmn:endEvent id="end_late"/>'
    + flow("f0", "start", "gw") + flow("g1", "gw", "wait_paid") + flow("g2", "gw", "closed")
    + flow("g3", "gw", "cancelled") + flow("g4", "gw", "too_late") + flow("h1", "wait_paid", "end_paid")
    + flow("h2", "closed", "end_closed") + flow("h3", "cancelled", "end_cancelled") + flow("h4", "too_late", "end_late"),
    "any_of_four", extra=EVENTS)


def waits(app, instance_id: str) -> tuple[list, list]:
    """(subscribed activities, activities with a job) of an instance, from the database."""
    with app.app_context():
        subscriptions = db.session.scalars(select(EventSubscription).where(EventSubscription.instance_id == instance_id))
        jobs = db.session.scalars(select(Job).where(Job.instance_id == instance_id))
        return sorted(s.activity_id for s in subscriptions), sorted(j.activity_id for j in jobs)


def history(client, headers, instance_id: str) -> list[dict]:
    return client.get(f"/api/v1/process-instances/{instance_id}/history", headers=headers).json


def decision(client, headers, instance_id: str) -> dict:
    [decided] = [e for e in history(client, headers, instance_id) if e["type"] == "gateway_decided"]
    return decided["data"]


@pytest.mark.parametrize("file,key", REPROS, ids=["top", "sub-process", "nested-sub-process"])
def test_event_gateway_waits_and_the_message_takes_its_branch(app, client, auth, file, key):
    assert deploy(client, auth["demo"], (file, (REPRO / file).read_bytes())).status_code == 201
    instance = start(client, auth["demo"], key).json
    assert instance["state"] == "active"
    assert "gw" in [a["activity_id"] for a in instance["active_activities"]]
    assert waits(app, instance["id"]) == (["msg"], ["gw"])
    sent = client.post("/api/v1/messages", json={"name": f"GO_{key}", "variables": {"ok": 1}}, headers=auth["bob"])
    assert sent.status_code == 200 and sent.json["delivered"] == [instance["id"]]
    after = client.get(f"/api/v1/process-instances/{instance['id']}", headers=auth["demo"]).json
    assert after["state"] == "completed" and after["variables"]["ok"] == 1
    assert waits(app, instance["id"]) == ([], [])
    assert decision(client, auth["demo"], instance["id"])["event"] == {"kind": "message", "name": f"GO_{key}",
                                                                      "activity_id": "msg"}
    assert client.post("/api/v1/messages", json={"name": f"GO_{key}"}, headers=auth["bob"]).status_code == 404


def test_a_signal_wins_and_the_message_and_receive_task_branches_are_withdrawn(app, client, auth):
    assert deploy(client, auth["demo"], ("four.bpmn", ANY_OF_FOUR)).status_code == 201
    instance_id = start(client, auth["demo"], "any_of_four").json["id"]
    assert waits(app, instance_id) == (["cancelled", "closed", "wait_paid"], ["gw"])
    signalled = client.post("/api/v1/signals", json={"name": "shop-closed"}, headers=auth["bob"])
    assert signalled.json["delivered"] == [instance_id]
    assert waits(app, instance_id) == ([], [])
    decided = decision(client, auth["demo"], instance_id)
    assert decided["event"] == {"kind": "signal", "name": "shop-closed", "activity_id": "closed"}
    assert decided["taken"][0]["flow_id"] == "g2"
    assert sorted(decided["withdrawn"]) == ["cancelled", "too_late", "wait_paid"]
    reached = [e["activity_id"] for e in history(client, auth["demo"], instance_id) if e["type"] == "activity_completed"]
    assert "end_closed" in reached and "end_paid" not in reached
    assert client.post("/api/v1/messages", json={"name": "paid"}, headers=auth["bob"]).status_code == 404


def test_a_receive_task_branch_takes_the_message(client, auth):
    deploy(client, auth["demo"], ("four.bpmn", ANY_OF_FOUR))
    instance_id = start(client, auth["demo"], "any_of_four").json["id"]
    sent = client.post("/api/v1/messages", json={"name": "paid", "variables": {"amount": 5}}, headers=auth["bob"])
    assert sent.status_code == 200
    after = client.get(f"/api/v1/process-instances/{instance_id}", headers=auth["demo"]).json
    assert after["state"] == "completed" and after["variables"]["amount"] == 5
    assert decision(client, auth["demo"], instance_id)["event"]["activity_id"] == "wait_paid"


def test_conditional_and_cycle_branches_are_refused_naming_the_element(client, auth):
    model = bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:eventBasedGateway id="gw"/>'
        '<bpmn:intermediateCatchEvent id="when_ready"><bpmn:conditionalEventDefinition><bpmn:condition>'
        'ready == True</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>'
        '<bpmn:intermediateCatchEvent id="every_hour"><bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1H'
        '</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:userTask id="not_an_event"/>'
        '<bpmn:endEvent id="end"/>' + flow("f0", "start", "gw") + flow("g1", "gw", "when_ready")
        + flow("g2", "gw", "every_hour") + flow("g3", "gw", "not_an_event") + flow("h1", "when_ready", "end")
        + flow("h2", "every_hour", "end") + flow("h3", "not_an_event", "end"), "conditional")
    refused = deploy(client, auth["demo"], ("c.bpmn", model))
    assert refused.status_code == 422
    errors = {e["element_id"]: e["message"] for e in refused.json["errors"]}
    assert "conditional event 'when_ready'" in errors["when_ready"]
    assert "timer cycle 'every_hour'" in errors["every_hour"]
    assert "userTask 'not_an_event'" in errors["not_an_event"]
