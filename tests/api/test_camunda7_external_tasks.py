"""/engine-rest's external tasks through the Flask test client: fetchAndLock (with long polling that holds no
database connection while it waits), complete, failure, bpmnError, extendLock, unlock, retries, the query, and
Camunda's errors."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from api.extensions import db
from engine.tasks import external_task_wakeups

from helpers import EXTERNAL, deploy, service_model, start

ROOT = "/engine-rest"
ROOT_DIR = Path(__file__).resolve().parents[2]


def fetch(client, headers, worker="w1", topic="billing", timeout=None, **more):
    body = {"workerId": worker, "maxTasks": 5, "topics": [{"topicName": topic, "lockDuration": 60_000, **more}]}
    if timeout is not None:
        body["asyncResponseTimeout"] = timeout
    response = client.post(f"{ROOT}/external-task/fetchAndLock", headers=headers, json=body)
    assert response.status_code == 200, response.json
    return response.json


def instance(client, headers, instance_id):
    return client.get(f"/api/v1/process-instances/{instance_id}", headers=headers).json


@pytest.fixture
def billing(client, auth):
    deploy(client, auth["demo"], ("e.bpmn", service_model("e", EXTERNAL)))


def test_fetch_lock_and_complete_with_typed_variables(client, auth, billing):
    started = start(client, auth["demo"], "e", {"amount": 5, "note": "x"}, business_key="b-1").json
    refused = client.post(f"{ROOT}/external-task/fetchAndLock", headers=auth["bob"],
                          json={"workerId": "w", "maxTasks": 1, "topics": []})
    assert refused.status_code == 403 and refused.json["type"] == "AuthorizationException"
    [task] = fetch(client, auth["robot"], variables=["amount"])
    assert task["processInstanceId"] == started["id"] and task["topicName"] == "billing"
    assert task["workerId"] == "w1" and task["businessKey"] == "b-1" and task["activityId"] == "call"
    assert task["processDefinitionKey"] == "e" and task["lockExpirationTime"].endswith("+0000")
    assert task["variables"] == {"amount": {"type": "Integer", "value": 5, "valueInfo": {}}}
    assert fetch(client, auth["robot"], worker="w2") == []
    url = f"{ROOT}/external-task/{task['id']}"
    other = client.post(f"{url}/complete", headers=auth["robot"], json={"workerId": "w2"})
    assert other.status_code == 400 and other.json["type"] == "BadUserRequestException"
    assert client.post(f"{url}/extendLock", headers=auth["robot"],
                       json={"workerId": "w1", "newDuration": 5000}).status_code == 204
    done = client.post(f"{url}/complete", headers=auth["robot"], json={
        "workerId": "w1", "variables": {"invoice": {"value": "I-1", "type": "String"},
                                        "total": {"value": 10, "type": "Long"}}})
    assert done.status_code == 204 and done.data == b""
    after = instance(client, auth["demo"], started["id"])
    assert after["state"] == "completed" and after["variables"]["invoice"] == "I-1"
    gone = client.post(f"{url}/complete", headers=auth["robot"], json={"workerId": "w1"})
    assert gone.status_code == 404 and gone.json["type"] == "InvalidRequestException"


def test_failure_with_retries_then_an_incident(client, auth, billing):
    started = start(client, auth["demo"], "e").json
    [task] = fetch(client, auth["robot"])
    url = f"{ROOT}/external-task/{task['id']}"
    failed = client.post(f"{url}/failure", headers=auth["robot"], json={
        "workerId": "w1", "errorMessage": "down", "errorDetails": "Traceback: ...", "retries": 2,
        "retryTimeout": 0})
    assert failed.status_code == 204
    [again] = fetch(client, auth["robot"], worker="w2")
    assert again["retries"] == 2 and again["errorMessage"] == "down" and again["errorDetails"] == "Traceback: ..."
    details = client.get(f"{url}/errorDetails", headers=auth["robot"])
    assert details.status_code == 200 and details.data == b"Traceback: ..."
    client.post(f"{url}/failure", headers=auth["robot"], json={"workerId": "w2", "errorMessage": "gone",
                                                               "retries": 0})
    [incident] = client.get(f"/api/v1/incidents?process_instance_id={started['id']}", headers=auth["demo"]).json
    assert incident["error"] == "gone"
    assert fetch(client, auth["robot"], worker="w3") == []


def test_bpmn_error_reaches_the_boundary_event(client, auth):
    deploy(client, auth["demo"], ("e.bpmn", service_model("e", EXTERNAL, boundary=True)))
    started = start(client, auth["demo"], "e").json
    [task] = fetch(client, auth["robot"])
    thrown = client.post(f"{ROOT}/external-task/{task['id']}/bpmnError", headers=auth["robot"], json={
        "workerId": "w1", "errorCode": "OUT_OF_STOCK", "errorMessage": "none left"})
    assert thrown.status_code == 204
    assert instance(client, auth["demo"], started["id"])["variables"]["backordered"] is True


def test_unlock_retries_and_the_query(client, auth, billing):
    ids = [start(client, auth["demo"], "e").json["id"] for _ in range(3)]
    locked = client.post(f"{ROOT}/external-task/fetchAndLock", headers=auth["robot"], json={
        "workerId": "w1", "maxTasks": 2, "topics": [{"topicName": "billing", "lockDuration": 60_000}]}).json
    assert len(locked) == 2
    listing = client.get(f"{ROOT}/external-task", headers=auth["robot"], query_string={"locked": "true"}).json
    assert sorted(t["id"] for t in listing) == sorted(t["id"] for t in locked)
    assert all(t["workerId"] == "w1" for t in listing)
    free = client.get(f"{ROOT}/external-task", headers=auth["robot"], query_string={"notLocked": "true"}).json
    assert len(free) == 1 and free[0]["workerId"] is None and free[0]["processInstanceId"] in ids
    count = client.get(f"{ROOT}/external-task/count", headers=auth["robot"], query_string={"topicName": "billing"})
    assert count.json == {"count": 3}
    one = client.get(f"{ROOT}/external-task/{locked[0]['id']}", headers=auth["robot"]).json
    assert one["topicName"] == "billing" and one["suspended"] is False and one["retries"] is None
    assert client.post(f"{ROOT}/external-task/{locked[0]['id']}/unlock", headers=auth["robot"]).status_code == 403
    assert client.post(f"{ROOT}/external-task/{locked[0]['id']}/unlock", headers=auth["demo"]).status_code == 204
    assert [t["id"] for t in fetch(client, auth["robot"], worker="w9")] != []
    retries = client.put(f"{ROOT}/external-task/{free[0]['id']}/retries", headers=auth["demo"], json={"retries": 4})
    assert retries.status_code == 204
    assert client.get(f"{ROOT}/external-task/{free[0]['id']}", headers=auth["robot"]).json["retries"] == 4
    to_incident = client.put(f"{ROOT}/external-task/{free[0]['id']}/retries", headers=auth["demo"],
                             json={"retries": 0})
    assert to_incident.status_code == 204
    assert client.get(f"/api/v1/incidents?process_instance_id={free[0]['processInstanceId']}",
                      headers=auth["demo"]).json[0]["state"] == "open"
    unknown = client.get(f"{ROOT}/external-task/nope", headers=auth["robot"])
    assert unknown.status_code == 404 and unknown.json["type"] == "InvalidRequestException"


@pytest.mark.parametrize("body", [
    {}, {"workerId": "w", "maxTasks": 1}, {"workerId": "", "maxTasks": 1, "topics": []},
    {"workerId": "w", "maxTasks": 101, "topics": []}, {"workerId": "w", "maxTasks": -1, "topics": []},
    {"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "billing"}]},
    {"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "billing", "lockDuration": 0}]},
    {"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": -5, "topics": []}])
def test_bad_fetch_bodies_are_400(client, auth, billing, body):
    response = client.post(f"{ROOT}/external-task/fetchAndLock", headers=auth["robot"], json=body)
    assert response.status_code == 400 and response.json["type"] == "InvalidRequestException", response.json


def test_a_long_poll_answers_when_a_task_is_created_and_holds_no_connection_meanwhile(app, client, auth, billing):
    checked_out: list[int] = []
    with app.app_context():
        engine = db.engine
    outcome: dict = {}

    def poll():
        began = time.monotonic()
        outcome["tasks"] = fetch(app.test_client(), auth["robot"], timeout=20_000)
        outcome["seconds"] = time.monotonic() - began

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(1.0)  # the waiter found nothing and waits
    pool = engine.pool
    checked_out.append(pool.checkedout())
    started = time.monotonic()
    created = start(client, auth["demo"], "e").json["id"]
    waiter.join(25)
    assert not waiter.is_alive()
    [task] = outcome["tasks"]
    assert task["processInstanceId"] == created
    assert outcome["seconds"] < 20 and time.monotonic() - started < 2.0  # answered at once, not at the timeout
    assert checked_out == [0]  # the waiting request held no database connection


def test_a_long_poll_with_nothing_answers_empty_after_its_timeout(client, auth, billing):
    began = time.monotonic()
    assert fetch(client, auth["robot"], timeout=600) == []
    assert 0.5 <= time.monotonic() - began < 5


def test_past_the_waiting_limit_a_fetch_answers_at_once(app, client, auth, billing, monkeypatch):
    monkeypatch.setenv("FUSE_LONG_POLL_MAX_WAITING", "1")
    first = threading.Thread(target=lambda: fetch(app.test_client(), auth["robot"], timeout=3_000))
    first.start()
    time.sleep(0.5)
    began = time.monotonic()
    assert fetch(client, auth["robot"], worker="w2", timeout=3_000) == []
    assert time.monotonic() - began < 1.0
    first.join(10)


def test_long_polls_are_cut_at_the_configured_maximum(client, auth, billing, monkeypatch):
    monkeypatch.setenv("FUSE_LONG_POLL_MAX_S", "1")
    began = time.monotonic()
    assert fetch(client, auth["robot"], timeout=1_800_000) == []
    assert time.monotonic() - began < 4


CREATE_ELSEWHERE = """
import sys
from engine.identity.users import Actor
from engine.instances.commands import start_instance
from engine.store.db import open_database
sessions = open_database(sys.argv[1])
with sessions() as session:
    start_instance(session, Actor("demo", frozenset({"admin"})), definition_key="e")
    session.commit()
"""


def test_on_postgresql_a_task_created_by_another_process_wakes_the_poll(app, auth, billing, database_url,
                                                                        monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("NOTIFY is PostgreSQL's; on SQLite waiters look again every 0.25 to 2 s")
    monkeypatch.setattr(external_task_wakeups, "RECHECK_S", 60.0)  # only a notification can wake it in time
    outcome: dict = {}

    def poll():
        outcome["tasks"] = fetch(app.test_client(), auth["robot"], timeout=30_000)
        outcome["at"] = time.monotonic()

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(1.0)
    done = subprocess.run([sys.executable, "-c", CREATE_ELSEWHERE, database_url], cwd=ROOT_DIR,
                          env={**os.environ, "PYTHONPATH": str(ROOT_DIR)}, capture_output=True, text=True,
                          timeout=60)
    committed = time.monotonic()
    assert done.returncode == 0, done.stderr
    waiter.join(40)
    assert len(outcome["tasks"]) == 1
    assert outcome["at"] - committed < 1.5
