"""Call activities find the called process by key when they start, from any deployment, as the binding says."""
from __future__ import annotations

import pytest

from engine.definitions.catalog import latest_definition
from engine.deployment.deploy import deploy
from engine.definitions.task_forms import task_form
from engine.errors import InvalidModel, ValidationFailed
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, resume_instance, start_instance, suspend_instance
from engine.repair.migration import migrate_instance
from engine.tasks.user_tasks import complete_task
from helpers import bpmn_document, flow

ADMIN = Actor("admin", frozenset({"admin"}))


def callee(answer: str, version_tag: str | None = None, key: str = "callee") -> bytes:
    """A process that sets `answer` and ends."""
    body = (f'<bpmn:startEvent id="c_start"/><bpmn:scriptTask id="c_work" scriptFormat="python">'
            f'<bpmn:script>answer = "{answer}"</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="c_end"/>'
            + flow("c1", "c_start", "c_work") + flow("c2", "c_work", "c_end"))
    document = bpmn_document(body, key)
    if version_tag:
        document = document.replace(f'<bpmn:process id="{key}"'.encode(),
                                    f'<bpmn:process id="{key}" camunda:versionTag="{version_tag}"'.encode())
    return document


def waiting_callee(answer: str) -> bytes:
    """The callee, waiting at user task 'c_wait' before it ends."""
    return callee(answer).replace(b'<bpmn:endEvent id="c_end"/>', b'<bpmn:userTask id="c_wait"/>'
                                  b'<bpmn:endEvent id="c_end"/>').replace(
        b'sourceRef="c_work" targetRef="c_end"', b'sourceRef="c_work" targetRef="c_wait"').replace(
        b"</bpmn:process>", flow("c3", "c_wait", "c_end").encode() + b"</bpmn:process>")


def caller(binding: str = "", key: str = "caller", wait_first: bool = False) -> bytes:
    """start -> (user task 'wait' ->) call activity 'call' (calledElement="callee" + binding attributes) -> end."""
    first = '<bpmn:userTask id="wait"/>' + flow("f0", "wait", "call") if wait_first else ""
    return bpmn_document(
        '<bpmn:startEvent id="start"/>' + first
        + f'<bpmn:callActivity id="call" calledElement="callee" {binding}/><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "wait" if wait_first else "call") + flow("f2", "call", "end"), key)


def deployed(sessions, files: dict) -> None:
    with sessions() as session:
        deploy(session, files, None, "admin")
        session.commit()


def started(sessions, key: str = "caller"):
    with sessions() as session:
        instance = start_instance(session, ADMIN, definition_key=key)
        session.commit()
        return instance


def test_a_caller_deployed_after_its_callee_calls_it(sessions):
    deployed(sessions, {"callee.bpmn": callee("first")})
    deployed(sessions, {"caller.bpmn": caller()})
    instance = started(sessions)
    assert instance.state == "completed", instance.error
    assert instance.variables["answer"] == "first"


def test_latest_binding_calls_the_newest_callee_deployed_later(sessions):
    deployed(sessions, {"caller.bpmn": caller(), "callee.bpmn": callee("first")})
    assert started(sessions).variables["answer"] == "first"
    deployed(sessions, {"callee.bpmn": callee("second")})
    assert started(sessions).variables["answer"] == "second"


def test_latest_means_the_newest_when_the_call_activity_starts(sessions):
    deployed(sessions, {"caller.bpmn": caller(wait_first=True), "callee.bpmn": callee("first")})
    instance = started(sessions)
    deployed(sessions, {"callee.bpmn": callee("second")})
    with sessions() as session:
        [task] = open_tasks(session, instance.id)
        done = complete_task(session, task.id, ADMIN, {})
        session.commit()
        assert done.state == "completed", done.error
        assert done.variables["answer"] == "second"


def test_version_binding_pins_the_callee_version(sessions):
    deployed(sessions, {"callee.bpmn": callee("first")})
    deployed(sessions, {"callee.bpmn": callee("second")})
    deployed(sessions, {"caller.bpmn": caller('camunda:calledElementBinding="version" '
                                              'camunda:calledElementVersion="1"')})
    assert started(sessions).variables["answer"] == "first"
    deployed(sessions, {"callee.bpmn": callee("third")})
    assert started(sessions).variables["answer"] == "first"


def test_version_tag_binding_calls_the_newest_version_with_that_tag(sessions):
    deployed(sessions, {"callee.bpmn": callee("first", "v1")})
    deployed(sessions, {"callee.bpmn": callee("second", "v2")})
    deployed(sessions, {"callee.bpmn": callee("third")})
    deployed(sessions, {"caller.bpmn": caller('camunda:calledElementBinding="versionTag" '
                                              'camunda:calledElementVersionTag="v1"')})
    assert started(sessions).variables["answer"] == "first"


@pytest.mark.parametrize("binding", ['camunda:calledElementBinding="deployment"', "zeebe"])
def test_deployment_binding_calls_the_callee_deployed_with_the_caller(sessions, binding):
    if binding == "zeebe":  # Camunda 8 names the process and the binding in zeebe:calledElement
        model = caller().replace(b'calledElement="callee" />', b'><bpmn:extensionElements><zeebe:calledElement '
                                 b'processId="callee" bindingType="deployment"/></bpmn:extensionElements>'
                                 b'</bpmn:callActivity>')
    else:
        model = caller(binding)
    deployed(sessions, {"caller.bpmn": model, "callee.bpmn": callee("with the caller")})
    deployed(sessions, {"callee.bpmn": callee("later")})
    assert started(sessions).variables["answer"] == "with the caller"


def test_zeebe_latest_binding_calls_the_newest_callee(sessions):
    model = caller().replace(b'calledElement="callee" />', b'><bpmn:extensionElements><zeebe:calledElement '
                             b'processId="callee"/></bpmn:extensionElements></bpmn:callActivity>')
    deployed(sessions, {"caller.bpmn": model, "callee.bpmn": callee("first")})
    deployed(sessions, {"callee.bpmn": callee("second")})
    assert started(sessions).variables["answer"] == "second"


def test_a_missing_callee_fails_the_instance_naming_the_call_activity_and_the_key(sessions):
    deployed(sessions, {"caller.bpmn": caller()})
    instance = started(sessions)
    assert instance.state == "failed"
    assert instance.error["activity_id"] == "call" and "callee" in instance.error["message"]
    pinned = caller('camunda:calledElementBinding="version" camunda:calledElementVersion="7"', key="pinned")
    deployed(sessions, {"pinned.bpmn": pinned, "callee.bpmn": callee("first")})
    failed = started(sessions, "pinned")
    assert failed.state == "failed" and failed.error["activity_id"] == "call"
    assert "callee" in failed.error["message"] and "version 7" in failed.error["message"]


def test_deployment_binding_without_the_callee_in_the_deployment_is_refused_naming_the_call_activity(sessions):
    with sessions() as session, pytest.raises(InvalidModel) as refused:
        deploy(session, {"caller.bpmn": caller('camunda:calledElementBinding="deployment"')}, None, "admin")
    assert [(e.element_id, "callee" in e.message) for e in refused.value.errors] == [("call", True)]


@pytest.mark.parametrize("binding", ['camunda:calledElementBinding="version"',
                                     'camunda:calledElementBinding="version" camunda:calledElementVersion="x"',
                                     'camunda:calledElementBinding="versionTag"',
                                     'camunda:calledElementBinding="sometimes"'])
def test_a_binding_that_names_no_version_is_refused_naming_the_call_activity(sessions, binding):
    with sessions() as session, pytest.raises(InvalidModel) as refused:
        deploy(session, {"caller.bpmn": caller(binding), "callee.bpmn": callee("x")}, None, "admin")
    assert [e.element_id for e in refused.value.errors] == ["call"]


def test_a_waiting_called_process_survives_a_newer_callee_deployment(sessions):
    waiting = waiting_callee("first")
    deployed(sessions, {"caller.bpmn": caller(), "callee.bpmn": waiting})
    instance = started(sessions)
    deployed(sessions, {"callee.bpmn": callee("second")})
    with sessions() as session:
        [task] = open_tasks(session, instance.id)
        assert task.activity_id == "c_wait"
        done = complete_task(session, task.id, ADMIN, {})
        session.commit()
        assert done.state == "completed", done.error
        assert get_instance(session, instance.id).variables["answer"] == "first"


def test_a_called_process_deployed_alone_checks_its_tasks_with_its_own_forms(sessions):
    form = (b'{"id": "check", "type": "default", "components": [{"type": "number", "key": "amount", '
            b'"label": "Amount", "validate": {"required": true}}]}')
    asks = waiting_callee("x").replace(b'<bpmn:userTask id="c_wait"/>', b'<bpmn:userTask id="c_wait" '
                                       b'camunda:formKey="camunda-forms:deployment:check.form"/>')
    deployed(sessions, {"callee.bpmn": asks, "check.form": form})
    deployed(sessions, {"caller.bpmn": caller()})
    instance = started(sessions)
    with sessions() as session:
        [task] = open_tasks(session, instance.id)
        assert task_form(session, task).schema["properties"]["amount"]["type"] == "number"
        with pytest.raises(ValidationFailed):
            complete_task(session, task.id, ADMIN, {})
        session.rollback()
        assert complete_task(session, task.id, ADMIN, {"amount": "12"}).state == "completed"


def test_migrating_a_caller_keeps_the_called_process_it_is_in(sessions):
    deployed(sessions, {"callee.bpmn": waiting_callee("first")})
    deployed(sessions, {"caller.bpmn": caller()})
    instance = started(sessions)
    deployed(sessions, {"caller.bpmn": caller().replace(b'<bpmn:endEvent id="end"/>',
                                                        b'<bpmn:endEvent id="end" name="v2"/>')})
    with sessions() as session:
        suspend_instance(session, instance.id, ADMIN)
        migrate_instance(session, instance.id, ADMIN, latest_definition(session, "caller").id, None, "v2")
        resume_instance(session, instance.id, ADMIN)
        session.commit()
        [task] = open_tasks(session, instance.id)
        assert complete_task(session, task.id, ADMIN, {}).state == "completed"
