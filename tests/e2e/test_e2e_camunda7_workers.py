"""Camunda's own Python external-task client (camunda-external-task-client-python3, from PyPI) against
`fuse serve` at /engine-rest: its worker long-polls, and completes (204), throws BPMN errors to a boundary event
and reports failures that end in an incident, as it would against Camunda 7."""
from __future__ import annotations

import threading
import time

from camunda.client.external_task_client import ExternalTaskClient
from camunda.external_task.external_task_worker import ExternalTaskWorker

from helpers import bpmn_document, flow

TOPIC_MODEL = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:serviceTask id="charge" camunda:type="external" camunda:topic="charge"/>'
    '<bpmn:endEvent id="end"/><bpmn:boundaryEvent id="declined" attachedToRef="charge">'
    '<bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>'
    '<bpmn:scriptTask id="notify" scriptFormat="python"><bpmn:script>declined = True</bpmn:script></bpmn:scriptTask>'
    '<bpmn:endEvent id="end_declined"/>' + flow("f1", "start", "charge") + flow("f2", "charge", "end")
    + flow("f3", "declined", "notify") + flow("f4", "notify", "end_declined"), "payment"
).replace(b"</bpmn:definitions>", b'<bpmn:error id="err" errorCode="CARD_DECLINED"/></bpmn:definitions>')


def worker_config(server, timeout_ms: int = 20_000) -> dict:
    return {"auth_basic": {"username": "robot", "password": server.tokens["robot"]}, "maxTasks": 1,
            "lockDuration": 10_000, "asyncResponseTimeout": timeout_ms, "retryTimeout": 0, "sleepSeconds": 0}


def deploy_and_worker(server, worker_id: str) -> ExternalTaskWorker:
    server.add_users({"robot": ["worker"]})
    deployed = server.post("/api/v1/deployments", files=[("file", ("payment.bpmn", TOPIC_MODEL, "application/xml"))],
                           data={"name": "payments"})
    assert deployed.status_code == 201, deployed.text
    return ExternalTaskWorker(worker_id=worker_id, base_url=f"{server.base_url}/engine-rest",
                              config=worker_config(server))


def start(server, variables: dict) -> str:
    response = server.post("/api/v1/process-instances", json={"definition_key": "payment", "variables": variables})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def run_once(worker: ExternalTaskWorker, handler) -> threading.Thread:
    """One long poll and the handling of what it brings, in the background, as the worker's loop does."""
    thread = threading.Thread(target=worker.fetch_and_execute, args=("charge", handler), daemon=True)
    thread.start()
    return thread


def test_the_worker_long_polls_and_completes(server):
    worker = deploy_and_worker(server, "billing-1")
    handled: dict = {}

    def charge(task):
        handled["at"] = time.monotonic()
        handled["amount"] = task.get_variable("amount")
        return task.complete({"charged": True, "receipt": "R-1"})

    thread = run_once(worker, charge)
    time.sleep(1.5)  # the worker's request is waiting at the server: nothing to fetch yet
    assert thread.is_alive()
    created = time.monotonic()
    instance_id = start(server, {"amount": 42})
    thread.join(15)
    assert not thread.is_alive() and handled["amount"] == 42
    assert handled["at"] - created < 3  # answered when the task appeared, not at the 20 s timeout
    done = server.get(f"/api/v1/process-instances/{instance_id}").json()
    assert done["state"] == "completed" and done["variables"]["receipt"] == "R-1"


def test_a_bpmn_error_goes_to_the_boundary_event(server):
    worker = deploy_and_worker(server, "billing-2")
    instance_id = start(server, {"amount": 7})
    thread = run_once(worker, lambda task: task.bpmn_error("CARD_DECLINED", "insufficient funds",
                                                          {"reason": "funds"}))
    thread.join(15)
    done = server.get(f"/api/v1/process-instances/{instance_id}").json()
    assert done["state"] == "completed" and done["variables"]["declined"] is True
    assert done["variables"]["reason"] == "funds"


def test_a_failure_with_no_retries_left_opens_an_incident(server):
    worker = deploy_and_worker(server, "billing-3")
    instance_id = start(server, {"amount": 1})
    thread = run_once(worker, lambda task: task.failure("gateway down", "HTTP 503 from the card gateway", 0, 0))
    thread.join(15)
    [incident] = server.get(f"/api/v1/incidents?process_instance_id={instance_id}").json()
    assert incident["error"] == "gateway down" and incident["state"] == "open"
    client = ExternalTaskClient("billing-4", f"{server.base_url}/engine-rest", worker_config(server, 500))
    assert client.fetch_and_lock("charge") == []  # the task waits at its incident, not for a worker


def test_a_failure_with_retries_is_fetched_again_with_its_error(server):
    deploy_and_worker(server, "billing-5")
    start(server, {"amount": 3})
    client = ExternalTaskClient("billing-5", f"{server.base_url}/engine-rest", worker_config(server, 2_000))
    [task] = client.fetch_and_lock("charge")
    assert client.failure(task["id"], "timeout", "read timed out", 2, 0) is True  # 204
    [again] = client.fetch_and_lock("charge")
    assert again["id"] == task["id"] and again["retries"] == 2 and again["errorMessage"] == "timeout"
    assert client.complete(again["id"], {"charged": True}) is True
