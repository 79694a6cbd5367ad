"""Metrics and logs of the real processes: `fuse serve` answers GET /metrics and writes JSON log lines on
stderr; a separate `fuse worker` logs the jobs it runs as JSON and serves its own metrics."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from e2e.support import FUSE, HTTP_TIMEOUT_S, LIBC, _die_with_parent, free_port
from engine.store.db import open_database
from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import start_instance
from helpers import bpmn_document, flow, script_task

WAIT_S = 20
POLL_S = 0.1
PREPARED = ("fuse_activity_duration_seconds_count", (("activity_id", "prepare"), ("definition_key", "desk")))


def async_model(key: str, handler: str) -> bytes:
    """start -> script 'prepare' (asyncBefore: a job runs it) -> service task 'book' calling `handler` -> end."""
    prepare = script_task("prepare", "prepared = True").replace(
        '<bpmn:scriptTask ', '<bpmn:scriptTask camunda:asyncBefore="true" ')
    return bpmn_document(
        '<bpmn:startEvent id="start"/>' + prepare + f'<bpmn:serviceTask id="book" camunda:class="{handler}"/>'
        '<bpmn:endEvent id="end"/>' + flow("f1", "start", "prepare") + flow("f2", "prepare", "book")
        + flow("f3", "book", "end"), key)


def samples_of(text: str) -> dict[tuple, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def json_lines(text: str) -> list[dict]:
    """Every line of a process's stderr, each of which must be one JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def wait_for(what: str, check, on_timeout=lambda: ""):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(POLL_S)
    pytest.fail(f"timed out waiting for {what}\n{on_timeout()}", pytrace=False)


def test_the_server_serves_metrics_and_logs_every_line_as_json(server):
    response = server.deploy(("desk.bpmn", async_model("desk", "e2e_nowhere")))
    assert response.status_code == 201, response.text
    started = server.start_instance("desk", {})
    assert started.status_code == 201, started.text
    instance_id = started.json()["id"]

    def incident_counted():
        scrape = requests.get(server.url("/metrics"), timeout=HTTP_TIMEOUT_S)  # no token: scrapes are open
        assert scrape.status_code == 200 and scrape.headers["Content-Type"].startswith("text/plain")
        samples = samples_of(scrape.text)
        return samples if samples.get(("fuse_incidents_open", (("definition_key", "desk"),))) == 1 else None

    samples = wait_for("the embedded worker to run the job into an incident", incident_counted, server.stderr)
    assert samples[("fuse_instances", (("definition_key", "desk"), ("state", "active")))] == 1
    assert samples[("fuse_handler_errors_total", (("handler", "e2e_nowhere"), ("kind", "unregistered")))] == 1
    assert samples[PREPARED] == 1
    assert samples[("fuse_jobs_due", ())] == 0

    lines = json_lines(server.stderr())
    about = {line["message"].split(":")[0]: line for line in lines if line.get("instance_id") == instance_id}
    assert {"instance started", "job ran", "handler failed on attempt 1, no retry left",
            "incident opened"} <= set(about)
    assert about["instance started"]["request_id"] == started.headers["X-Request-ID"]
    assert about["job ran"]["job_id"] and about["job ran"]["logger"] == "fuse.worker"
    assert about["incident opened"]["job_id"] == about["job ran"]["job_id"]
    assert about["incident opened"]["activity_id"] == "book" and about["incident opened"]["level"] == "ERROR"
    assert any("Fuse listening on" in line["message"] for line in lines)


@pytest.fixture
def worker_process(database_url, tmp_path):
    """A `fuse worker` on the test database, polling every 50 ms, with its metrics on a free port."""
    port = free_port()
    stderr = tmp_path / "worker.stderr"
    env = {**os.environ, "FUSE_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    env.pop("FUSE_LOG_FORMAT", None)
    with open(stderr, "wb") as err:
        process = subprocess.Popen([str(FUSE), "worker", "--poll", "0.05", "--metrics-port", str(port)],
                                   env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err,
                                   preexec_fn=_die_with_parent if LIBC else None)
    try:
        yield process, port, lambda: stderr.read_text(errors="replace")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_separate_worker_logs_the_jobs_it_runs_as_json_and_serves_its_own_metrics(database_url, worker_process):
    process, port, stderr = worker_process
    sessions = open_database(database_url)
    try:
        with sessions() as session:
            deploy(session, {"desk.bpmn": async_model("desk", "e2e_nowhere")}, None, "tester")
            instance_id = start_instance(session, Actor("tester", frozenset()), definition_key="desk").id
            session.commit()
    finally:
        sessions.kw["bind"].dispose()

    def job_logged():
        assert process.poll() is None, f"the worker exited with {process.returncode}:\n{stderr()}"
        return '"job ran"' in stderr()  # logged once the job's transaction committed

    wait_for("the worker to run the job into an incident", job_logged, stderr)
    lines = json_lines(stderr())
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    ran = [line for line in lines if line["message"] == "job ran"]
    assert len(ran) == 1 and ran[0]["instance_id"] == instance_id and ran[0]["job_id"]
    incident = next(line for line in lines if line["message"].startswith("incident opened"))
    assert (incident["instance_id"], incident["job_id"], incident["activity_id"]) == (
        instance_id, ran[0]["job_id"], "book")

    scrape = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=HTTP_TIMEOUT_S)
    samples = samples_of(scrape.text)
    assert samples[("fuse_handler_errors_total", (("handler", "e2e_nowhere"), ("kind", "unregistered")))] == 1
    assert samples[PREPARED] == 1
    # The worker reports what it measured; counts from the database are the server's to report.
    assert not [name for name, _ in samples if name.startswith("fuse_instances")]
