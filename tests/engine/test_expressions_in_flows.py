"""Gateway conditions as Camunda Modeler users write them, and what a bad one does."""
from __future__ import annotations

import pytest

from engine.deployment.deploy import deploy
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import start_instance
from helpers import bpmn_document, flow, script_task

ADMIN = Actor("tester", frozenset({"admin"}))


def gateway_process(condition: str) -> bytes:
    """start -> gateway: condition -> 'yes' (sets branch='yes'), default -> 'no'."""
    return bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="gw" default="f_no"/>'
        + script_task("yes", "branch = 'yes'") + script_task("no", "branch = 'no'")
        + '<bpmn:endEvent id="end_yes"/><bpmn:endEvent id="end_no"/>'
        + flow("f1", "start", "gw") + flow("f_yes", "gw", "yes", condition) + flow("f_no", "gw", "no")
        + flow("f2", "yes", "end_yes") + flow("f3", "no", "end_no"), "gw")


@pytest.mark.parametrize("condition, variables, branch", [
    ("${amount > 100 && approved}", {"amount": 150, "approved": True}, "yes"),
    ("${amount > 100 && approved}", {"amount": 150, "approved": False}, "no"),
    ("${!approved}", {"approved": False}, "yes"),
    ("${status == 'ok'}", {"status": "ok"}, "yes"),
    ("${status == 'ok'}", {"status": "late"}, "no"),
    ("${amount gt 10 and not empty customer}", {"amount": 11, "customer": "ACME"}, "yes"),
    ("amount > 100 and approved", {"amount": 150, "approved": True}, "yes"),
    ("status == 'ok'", {"status": "bad"}, "no"),
    ("=amount > 100 and approved", {"amount": 150, "approved": True}, "yes"),
    ("=amount > 100 and approved", {"amount": 150, "approved": False}, "no"),
    ("=not(approved)", {"approved": False}, "yes"),
    ('=status = "ok"', {"status": "ok"}, "yes"),
    ("=list contains(tags, \"vip\")", {"tags": ["a", "vip"]}, "yes"),
    ("=count(items[price > 10]) >= 2", {"items": [{"price": 5}, {"price": 11}, {"price": 30}]}, "yes"),
    ("=if amount > 10 then true else false", {"amount": 3}, "no"),
])
def test_gateway_takes_the_flow_whose_condition_holds(sessions, condition, variables, branch):
    """JUEL, Python and FEEL conditions, as Camunda 7, spiff-arena and Camunda 8 users write them."""
    with sessions() as session:
        deploy(session, {"gw.bpmn": gateway_process(condition)}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="gw", variables=variables)
        session.commit()
        assert instance.state == "completed", instance.error
        assert instance.variables["branch"] == branch


def test_unevaluable_condition_fails_the_instance_visibly(sessions):
    with sessions() as session:
        deploy(session, {"gw.bpmn": gateway_process("${amout > 100}")}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="gw", variables={"amount": 5})
        session.commit()
        assert instance.state == "failed"
        assert "amout" in instance.error["message"]
        failed = [e for e in instance_history(session, instance.id) if e.type == "instance_failed"]
        assert len(failed) == 1 and "amout" in failed[0].data["message"]


def test_script_error_names_the_activity_and_line(sessions):
    model = bpmn_document('<bpmn:startEvent id="start"/>' + script_task("work", "a = 1\nb = a / 0")
                          + '<bpmn:endEvent id="end"/>' + flow("f1", "start", "work") + flow("f2", "work", "end"))
    with sessions() as session:
        deploy(session, {"p.bpmn": model}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="p")
        session.commit()
        assert instance.state == "failed"
        assert instance.error["activity_id"] == "work"
        assert instance.error["line"] == 2
        assert "division by zero" in instance.error["message"]


def test_condition_marked_feel_by_its_language_is_read_as_feel(sessions):
    model = gateway_process("amount > 100").replace(
        b'xsi:type="bpmn:tFormalExpression"',
        b'xsi:type="bpmn:tFormalExpression" language="https://www.omg.org/spec/DMN/20191111/FEEL/"')
    with sessions() as session:
        deploy(session, {"gw.bpmn": model}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="gw", variables={"amount": 101})
        session.commit()
        assert instance.variables["branch"] == "yes"
