"""/engine-rest's POST /message and POST /signal through the Flask test client: Camunda 7's correlation rules
(one match, or all), correlationKeys as variable values, results, typed variables, and Camunda's 400s."""
from __future__ import annotations

from message_models import ORDER_START, SIGNALLED, WAIT_FOR_PAYMENT

from helpers import deploy, start

ROOT = "/engine-rest"


def correlate(client, headers, **body):
    return client.post(f"{ROOT}/message", json=body, headers=headers)


def instance(client, headers, instance_id):
    return client.get(f"/api/v1/process-instances/{instance_id}", headers=headers).json


def test_one_match_or_camundas_400(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", WAIT_FOR_PAYMENT))
    a = start(client, auth["demo"], "pay", {"orderId": "A-1"}, business_key="bk-a").json["id"]
    b = start(client, auth["demo"], "pay", {"orderId": "B-2"}, business_key="bk-b").json["id"]
    several = correlate(client, auth["bob"], messageName="payment-received")
    assert several.status_code == 400 and several.json["type"] == "InvalidRequestException"
    assert several.json["message"] == ("Cannot correlate a message with name 'payment-received' to a single "
                                       "execution. 2 executions match the correlation keys")
    none = correlate(client, auth["bob"], messageName="payment-received", businessKey="bk-z")
    assert none.status_code == 400 and none.json["message"] == (
        "Cannot correlate message 'payment-received': No process definition or execution matches the parameters")
    by_key = correlate(client, auth["bob"], messageName="payment-received", businessKey="bk-a",
                       processVariables={"paidAt": {"value": "2024-03-01T10:00:00.000+0000", "type": "Date"}})
    assert by_key.status_code == 204 and by_key.data == b""
    assert instance(client, auth["demo"], a)["state"] == "completed"
    assert instance(client, auth["demo"], b)["state"] == "active"
    # correlationKeys: the waiting instance's variables must have these values
    wrong = correlate(client, auth["bob"], messageName="payment-received",
                      correlationKeys={"orderId": {"value": "A-1", "type": "String"}})
    assert wrong.status_code == 400
    right = correlate(client, auth["bob"], messageName="payment-received", resultEnabled=True,
                      variablesInResultEnabled=True, correlationKeys={"orderId": {"value": "B-2", "type": "String"}},
                      processVariables={"amount": {"value": 7, "type": "Long"}})
    assert right.status_code == 200, right.json
    [result] = right.json
    assert result["resultType"] == "Execution" and result["processInstance"] is None
    assert result["execution"] == {"id": b, "processInstanceId": b, "ended": True, "tenantId": None}
    assert result["variables"]["amount"] == {"type": "Long", "value": 7, "valueInfo": {}}


def test_all_correlates_every_match_and_none_is_no_error(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", WAIT_FOR_PAYMENT))
    ids = [start(client, auth["demo"], "pay", {"orderId": f"K{n}"}).json["id"] for n in range(3)]
    every = correlate(client, auth["bob"], messageName="payment-received", all=True, resultEnabled=True)
    assert every.status_code == 200 and sorted(r["execution"]["id"] for r in every.json) == sorted(ids)
    assert all("variables" not in r for r in every.json)
    nothing = correlate(client, auth["bob"], messageName="payment-received", all=True, resultEnabled=True)
    assert nothing.status_code == 200 and nothing.json == []
    assert correlate(client, auth["bob"], messageName="payment-received", all=True).status_code == 204


def test_a_message_start_event_answers_the_instance_it_started(client, auth):
    deploy(client, auth["demo"], ("o.bpmn", ORDER_START))
    started = correlate(client, auth["demo"], messageName="order-placed", businessKey="O-1", resultEnabled=True,
                        processVariables={"item": {"value": "lamp"}})
    assert started.status_code == 200, started.json
    [result] = started.json
    assert result["resultType"] == "ProcessDefinition" and result["execution"] is None
    assert result["processInstance"]["businessKey"] == "O-1" and result["processInstance"]["ended"] is False
    assert instance(client, auth["demo"], result["processInstance"]["id"])["variables"]["item"] == "lamp"


def test_process_instance_id_narrows_and_starts_nothing(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", WAIT_FOR_PAYMENT))
    a, b = (start(client, auth["demo"], "pay", {"orderId": n}).json["id"] for n in ("1", "2"))
    assert correlate(client, auth["bob"], messageName="payment-received", processInstanceId=b).status_code == 204
    assert instance(client, auth["demo"], b)["state"] == "completed"
    assert instance(client, auth["demo"], a)["state"] == "active"
    assert correlate(client, auth["bob"], messageName="payment-received", processInstanceId=b).status_code == 400


def test_signal_to_every_waiting_instance_or_one_execution(client, auth):
    deploy(client, auth["demo"], ("s.bpmn", SIGNALLED))
    ids = [start(client, auth["demo"], "maint").json["id"] for _ in range(3)]
    one = client.post(f"{ROOT}/signal", headers=auth["bob"], json={"name": "maintenance", "executionId": ids[0]})
    assert one.status_code == 204
    assert [instance(client, auth["demo"], i)["state"] for i in ids] == ["completed", "active", "active"]
    rest = client.post(f"{ROOT}/signal", headers=auth["bob"], json={
        "name": "maintenance", "variables": {"window": {"value": "tonight", "type": "String"}}})
    assert rest.status_code == 204
    assert all(instance(client, auth["demo"], i)["state"] == "completed" for i in ids)
    assert instance(client, auth["demo"], ids[2])["variables"]["window"] == "tonight"


def test_bad_bodies_are_400_and_change_nothing(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", WAIT_FOR_PAYMENT))
    waiting = start(client, auth["demo"], "pay", {"orderId": "X"}).json["id"]
    for body in ({}, {"messageName": ""}, {"messageName": 5}, {"messageName": "payment-received", "all": "yes"},
                 {"messageName": "payment-received", "processVariables": {"n": {"value": "x", "type": "Integer"}}},
                 {"messageName": "payment-received", "processVariables": []},
                 {"messageName": "payment-received", "tenantId": "t1"}):
        response = client.post(f"{ROOT}/message", headers=auth["bob"], json=body)
        assert response.status_code == 400 and response.json["type"] == "InvalidRequestException", body
    for body in ({}, {"name": ""}, {"name": "x", "variables": {"a": 1}}, {"name": "x", "tenantId": "t"}):
        response = client.post(f"{ROOT}/signal", headers=auth["bob"], json=body)
        assert response.status_code == 400 and response.json["type"] == "InvalidRequestException", body
    assert instance(client, auth["demo"], waiting)["state"] == "active"
    anonymous = client.post(f"{ROOT}/message", json={"messageName": "payment-received"})
    assert anonymous.status_code == 401 and anonymous.json["type"] == "AuthenticationException"
