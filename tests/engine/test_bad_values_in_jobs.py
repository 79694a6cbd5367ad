"""A job that cannot store what it produced ends in a failed instance or an incident, never in a
retry every few seconds forever (issue 13, hole 6)."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.deployment.deploy import deploy
from engine.handlers import registry
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.incidents.incidents import list_incidents, retry_incident
from engine.instances.commands import get_instance, start_instance
from engine.store.models import Job
from engine.worker.worker import Worker
from helpers import bpmn_document, flow, script_task

ADMIN = Actor("admin", frozenset({"admin"}))
RETRY_TWICE_AT_ONCE = ('<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R2/PT0S'
                       '</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>')


@registry.register("bad_values_grow")
def grow(inputs, context):
    return {"b": "y" * 60_000}


def jobs(session) -> int:
    return session.scalar(select(func.count()).select_from(Job))


def async_script_model(script: str) -> bytes:
    task = script_task("work", script).replace('scriptFormat="python"',
                                               'scriptFormat="python" camunda:asyncBefore="true"')
    return bpmn_document('<bpmn:startEvent id="start"/>' + task + '<bpmn:endEvent id="end"/>'
                         + flow("f1", "start", "work") + flow("f2", "work", "end"), "async")


def test_an_async_script_leaving_a_value_that_refers_to_itself_fails_the_instance_once(sessions):
    with sessions() as session:
        deploy(session, {"a.bpmn": async_script_model("x = []\nx.append(x)")}, None, "admin")
        instance = start_instance(session, ADMIN, definition_key="async")
        session.commit()
    worker = Worker(sessions)
    assert worker.run_once() == 1
    with sessions() as session:
        failed = get_instance(session, instance.id)
        assert failed.state == "failed" and failed.error["activity_id"] == "work"
        assert "'x'" in failed.error["message"] and "refers to itself" in failed.error["message"]
        assert jobs(session) == 0 and list_incidents(session) == []
    assert worker.run_once() == 0


def test_a_job_that_keeps_failing_opens_an_incident_after_its_retries(sessions, monkeypatch):
    monkeypatch.setenv("FUSE_MAX_VARIABLES_BYTES", "100000")
    body = ('<bpmn:startEvent id="start"/><bpmn:serviceTask id="call" camunda:class="bad_values_grow" '
            f'camunda:asyncBefore="true">{RETRY_TWICE_AT_ONCE}</bpmn:serviceTask><bpmn:endEvent id="end"/>'
            + flow("f1", "start", "call") + flow("f2", "call", "end"))
    with sessions() as session:
        deploy(session, {"g.bpmn": bpmn_document(body, "grows")}, None, "admin")
        instance = start_instance(session, ADMIN, definition_key="grows", variables={"a": "x" * 60_000})
        session.commit()
    worker = Worker(sessions)
    assert worker.run_once() == 1  # the handler's output overflows the instance's total: attempt 1
    with sessions() as session:
        assert session.scalar(select(Job.attempts)) == 1
        assert "VariableTooLarge" in session.scalar(select(Job.last_error))
    assert worker.run_once() == 1  # attempt 2 of 2: an incident opens
    assert worker.run_once() == 0
    with sessions() as session:
        [incident] = list_incidents(session, instance.id)
        assert incident.state == "open" and incident.activity_id == "call"
        assert "failed 2 times" in incident.error and "FUSE_MAX_VARIABLES_BYTES" in incident.error
        assert jobs(session) == 0
        row = get_instance(session, instance.id)
        assert row.state == "active" and row.variables == {"a": "x" * 60_000}
        assert "incident_opened" in [e.type for e in instance_history(session, instance.id)]
    monkeypatch.setenv("FUSE_MAX_VARIABLES_BYTES", "1000000")
    with sessions() as session:
        retry_incident(session, incident.id, ADMIN)
        session.commit()
        assert get_instance(session, instance.id).state == "completed"
