"""Service tasks: handlers called in-process, BPMN errors routed, failures retried then incidents,
external workers over REST."""
from __future__ import annotations

import threading
import time

from api.extensions import db
from engine.store.db import open_database
from engine.handlers.base import BpmnError
from engine.handlers.registry import register
from engine.identity.users import add_user, create_token
from engine.worker.worker import Worker
from helpers import EXTERNAL, deploy, service_model, start

CALLS = {"flaky_failures_left": 0}


@register("double")
def double(inputs, context):
    context.record("doubled", {"value": inputs["value"]})
    return {"doubled": inputs["value"] * 2}


@register("check_stock")
def check_stock(inputs, context):
    if inputs["qty"] > 10:
        raise BpmnError("OUT_OF_STOCK", "not enough stock", {"available": 10})
    return {"reserved": inputs["qty"]}


@register("flaky")
def flaky(inputs, context):
    if CALLS["flaky_failures_left"] > 0:
        CALLS["flaky_failures_left"] -= 1
        raise ConnectionError("the billing system did not answer")
    return {"billed": True}


def test_in_process_handler_outputs_flow_on_and_its_audit_is_in_history(client, auth):
    deploy(client, auth["demo"], ("d.bpmn", service_model("d", 'camunda:class="double"')))
    done = start(client, auth["demo"], "d", {"value": 21}).json
    assert done["state"] == "completed" and done["variables"]["doubled"] == 42
    history = client.get(f"/api/v1/process-instances/{done['id']}/history", headers=auth["demo"]).json
    types = [e["type"] for e in history]
    assert "doubled" in types and "handler_called" in types


def test_bpmn_error_takes_the_error_boundary_path_or_fails_when_uncaught(client, auth):
    deploy(client, auth["demo"], ("s.bpmn", service_model("s", 'camunda:class="check_stock"', boundary=True)),
           ("u.bpmn", service_model("u", 'camunda:class="check_stock"')))
    caught = start(client, auth["demo"], "s", {"qty": 50}).json
    assert caught["state"] == "completed" and caught["variables"]["backordered"] is True
    assert caught["variables"]["errorCode"] == "OUT_OF_STOCK"
    fine = start(client, auth["demo"], "s", {"qty": 2}).json
    assert fine["variables"]["reserved"] == 2 and "backordered" not in fine["variables"]
    uncaught = start(client, auth["demo"], "u", {"qty": 50}).json
    assert uncaught["state"] == "failed" and "OUT_OF_STOCK" in uncaught["error"]["message"]


def test_failures_are_retried_then_an_incident_opens_and_a_retry_succeeds(client, auth, database_url):
    retry = ('<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R3/PT0.05S'
             '</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>')
    deploy(client, auth["demo"], ("f.bpmn", service_model("f", 'camunda:class="flaky"', retry)))
    CALLS["flaky_failures_left"] = 10
    instance = start(client, auth["demo"], "f").json
    assert instance["state"] == "active"
    worker = Worker(open_database(database_url))
    for _ in range(40):  # the retry jobs come due 50 ms apart
        worker.run_once()
        incidents = client.get(f"/api/v1/incidents?process_instance_id={instance['id']}", headers=auth["demo"]).json
        if incidents:
            break
        time.sleep(0.05)
    [incident] = incidents
    assert incident["activity_id"] == "call" and "did not answer" in incident["error"]
    history = client.get(f"/api/v1/process-instances/{instance['id']}/history", headers=auth["demo"]).json
    failures = [e for e in history if e["type"] == "handler_failed"]
    assert [f["data"]["attempt"] for f in failures] == [1, 2, 3]
    assert all("duration_ms" in f["data"] and f["data"]["error"] for f in failures)
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=auth["alice"]).status_code == 403
    CALLS["flaky_failures_left"] = 0
    retried = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=auth["demo"])
    assert retried.status_code == 200 and retried.json["state"] == "resolved"
    after = client.get(f"/api/v1/process-instances/{instance['id']}", headers=auth["demo"]).json
    assert after["state"] == "completed" and after["variables"]["billed"] is True


def test_incident_resolved_with_outputs_skips_the_handler(client, auth):
    deploy(client, auth["demo"], ("m.bpmn", service_model("m", 'camunda:class="nobody_registered_this"')))
    instance = start(client, auth["demo"], "m").json
    [incident] = client.get(f"/api/v1/incidents?process_instance_id={instance['id']}", headers=auth["demo"]).json
    assert "nobody_registered_this" in incident["error"]
    resolved = client.post(f"/api/v1/incidents/{incident['id']}/resolve", json={"variables": {"manual": 1}},
                           headers=auth["demo"])
    assert resolved.status_code == 200
    after = client.get(f"/api/v1/process-instances/{instance['id']}", headers=auth["demo"]).json
    assert after["state"] == "completed" and after["variables"]["manual"] == 1
    again = client.post(f"/api/v1/incidents/{incident['id']}/resolve", json={}, headers=auth["demo"])
    assert again.status_code == 409


def test_unknown_handler_names_are_a_deploy_warning(client, auth):
    deployed = deploy(client, auth["demo"], ("w.bpmn", service_model("w", 'camunda:class="com.acme.Nope"')))
    assert any("com.acme.Nope" in w["message"] for w in deployed.json["warnings"])


def fetch(client, headers, worker: str, lock_ms: int = 60_000, max_tasks: int = 10):
    return client.post("/api/v1/external-tasks/fetch-and-lock", headers=headers, json={
        "worker_id": worker, "max_tasks": max_tasks, "topics": [{"name": "billing", "lock_duration_ms": lock_ms}]})


def test_external_worker_locks_completes_and_only_the_holder_may(client, auth):
    deploy(client, auth["demo"], ("e.bpmn", service_model("e", EXTERNAL)))
    instance = start(client, auth["demo"], "e", {"amount": 5}).json
    assert instance["state"] == "active"
    assert fetch(client, auth["bob"], "w1").status_code == 403
    [task] = fetch(client, auth["robot"], "w1").json
    assert task["process_instance_id"] == instance["id"] and task["variables"]["amount"] == 5
    assert fetch(client, auth["robot"], "w2").json == []
    url = f"/api/v1/external-tasks/{task['id']}"
    assert client.post(f"{url}/complete", json={"worker_id": "w2"}, headers=auth["robot"]).status_code == 409
    assert client.post(f"{url}/extend-lock", json={"worker_id": "w1", "new_duration_ms": 1000},
                       headers=auth["robot"]).status_code == 200
    done = client.post(f"{url}/complete", json={"worker_id": "w1", "variables": {"invoice": "I-1"}},
                       headers=auth["robot"])
    assert done.status_code == 200 and done.json["state"] == "completed"
    assert done.json["variables"]["invoice"] == "I-1"


def test_expired_lock_frees_the_task_and_failures_end_in_an_incident(client, auth):
    deploy(client, auth["demo"], ("e.bpmn", service_model("e", EXTERNAL)))
    instance = start(client, auth["demo"], "e").json
    [task] = fetch(client, auth["robot"], "w1", lock_ms=50).json
    time.sleep(0.1)
    [again] = fetch(client, auth["robot"], "w2").json
    assert again["id"] == task["id"]
    url = f"/api/v1/external-tasks/{task['id']}"
    assert client.post(f"{url}/complete", json={"worker_id": "w1"}, headers=auth["robot"]).status_code == 409
    failed = client.post(f"{url}/failure", json={"worker_id": "w2", "error_message": "down", "retries": 1,
                                                 "retry_timeout_ms": 0}, headers=auth["robot"])
    assert failed.status_code == 200
    [third] = fetch(client, auth["robot"], "w3").json
    assert third["retries"] == 1
    client.post(f"{url}/failure", json={"worker_id": "w3", "error_message": "still down", "retries": 0},
                headers=auth["robot"])
    [incident] = client.get(f"/api/v1/incidents?process_instance_id={instance['id']}", headers=auth["demo"]).json
    assert incident["error"] == "still down"
    assert fetch(client, auth["robot"], "w4").json == []


def test_worker_bpmn_error_is_caught_by_the_boundary_event(client, auth):
    deploy(client, auth["demo"], ("e.bpmn", service_model("e", EXTERNAL, boundary=True)))
    start(client, auth["demo"], "e")
    [task] = fetch(client, auth["robot"], "w1").json
    done = client.post(f"/api/v1/external-tasks/{task['id']}/bpmn-error", headers=auth["robot"],
                       json={"worker_id": "w1", "error_code": "OUT_OF_STOCK", "error_message": "none left"})
    assert done.status_code == 200 and done.json["variables"]["backordered"] is True


def test_two_workers_fetching_at_once_never_get_the_same_task(client, auth, app):
    deploy(client, auth["demo"], ("e.bpmn", service_model("e", EXTERNAL)))
    for _ in range(12):
        start(client, auth["demo"], "e")
    barrier, got = threading.Barrier(2), {}

    def take(worker):
        local = app.test_client()
        barrier.wait()
        got[worker] = [t["id"] for t in fetch(local, auth["robot"], worker, max_tasks=8).json]

    threads = [threading.Thread(target=take, args=(w,)) for w in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not set(got["w1"]) & set(got["w2"])
    assert len(got["w1"]) + len(got["w2"]) == 12


def test_retrying_an_external_task_incident_makes_it_fetchable_at_once_with_one_retry(client, auth):
    deploy(client, auth["demo"], ("e.bpmn", service_model("e", EXTERNAL)))
    instance = start(client, auth["demo"], "e").json
    [task] = fetch(client, auth["robot"], "w1", lock_ms=60_000).json
    client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=auth["robot"],
                json={"worker_id": "w1", "error_message": "down", "retries": 0})
    [incident] = client.get(f"/api/v1/incidents?process_instance_id={instance['id']}", headers=auth["demo"]).json
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=auth["demo"]).status_code == 200
    # As Camunda 7's incident retry ("set retries" to 1): available now, though w1's lock ran for a minute.
    [again] = fetch(client, auth["robot"], "w2").json
    assert again["id"] == task["id"] and again["retries"] == 1
    done = client.post(f"/api/v1/external-tasks/{again['id']}/complete", headers=auth["robot"],
                       json={"worker_id": "w2", "variables": {"invoice": "I-2"}})
    assert done.status_code == 200 and done.json["state"] == "completed"


HTTP_INPUTS = ('<bpmn:extensionElements><camunda:inputOutput>'
               '<camunda:inputParameter name="method">GET</camunda:inputParameter>'
               '<camunda:inputParameter name="url">http://127.0.0.1:9/customers</camunda:inputParameter>'
               '<camunda:inputParameter name="timeout_s">1</camunda:inputParameter>'
               '<camunda:inputParameter name="result">tier=body.tier</camunda:inputParameter>'
               '</camunda:inputOutput><camunda:failedJobRetryTimeCycle>R3/PT1H</camunda:failedJobRetryTimeCycle>'
               '</bpmn:extensionElements>')


def test_input_parameters_of_a_task_waiting_for_a_retry_stay_out_of_the_process_variables(client, auth):
    deploy(client, auth["demo"], ("h.bpmn", service_model("h", 'camunda:class="http"', HTTP_INPUTS)))
    # Nothing listens on port 9: the call fails and the task waits an hour for its next try.
    instance = start(client, auth["demo"], "h", {"url": "https://shop.example/order/7", "customer": "C-1"}).json
    assert instance["state"] == "active", instance
    assert [a["activity_id"] for a in instance["active_activities"]] == ["call"]
    # Local to the task: not among the instance's variables; the process's own `url` is not hidden.
    assert instance["variables"] == {"url": "https://shop.example/order/7", "customer": "C-1"}
    listed = client.get(f"/api/v1/process-instances/{instance['id']}/variables", headers=auth["demo"]).json
    assert listed == instance["variables"]


def test_an_external_worker_sees_its_task_input_parameters_the_process_does_not(client, auth):
    inputs = ('<bpmn:extensionElements><camunda:inputOutput>'
              '<camunda:inputParameter name="invoice_to">${customer}</camunda:inputParameter>'
              '<camunda:inputParameter name="customer">hidden</camunda:inputParameter>'
              '</camunda:inputOutput></bpmn:extensionElements>')
    deploy(client, auth["demo"], ("e.bpmn", service_model("e", EXTERNAL, inputs)))
    instance = start(client, auth["demo"], "e", {"customer": "C-9"}).json
    assert instance["variables"] == {"customer": "C-9"}
    [task] = fetch(client, auth["robot"], "w1").json
    assert task["variables"] == {"customer": "hidden", "invoice_to": "C-9"}
    done = client.post(f"/api/v1/external-tasks/{task['id']}/complete", headers=auth["robot"],
                       json={"worker_id": "w1", "variables": {"invoiced": True}})
    assert done.json["variables"] == {"customer": "C-9", "invoiced": True}


def test_another_worker_user_sending_the_same_worker_id_does_not_hold_the_lock(app, client, auth):
    with app.app_context():
        add_user(db.session, "intruder", ["worker"])
        intruder = {"Authorization": f"Bearer {create_token(db.session, 'intruder')}"}
        db.session.commit()
    deploy(client, auth["demo"], ("e.bpmn", service_model("e", EXTERNAL)))
    start(client, auth["demo"], "e")
    [task] = fetch(client, auth["robot"], "w1").json
    url = f"/api/v1/external-tasks/{task['id']}"
    for action, body in (("extend-lock", {"new_duration_ms": 600_000}), ("complete", {}),
                         ("failure", {"error_message": "x", "retries": 0}),
                         ("bpmn-error", {"error_code": "OUT_OF_STOCK"})):
        refused = client.post(f"{url}/{action}", json={"worker_id": "w1", **body}, headers=intruder)
        assert refused.status_code == 409, action
        assert "not locked by worker w1 of intruder" in refused.json["detail"]
    assert client.post(f"{url}/complete", json={"worker_id": "w1"}, headers=auth["robot"]).status_code == 200
