"""Step-up on user tasks: each requirement a task declares (fresh sign-in, second factor, group, policy) is
checked against the person completing it; a refusal changes nothing but is in the history; bad values
and a missing policy file stop the deployment, naming the element."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.deployment.deploy import deploy, validate_files
from engine.errors import Forbidden, InvalidModel, StepUpRequired
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, patch_variables, start_instance
from engine.store.models import utcnow
from engine.tasks.step_up import task_step_up
from engine.tasks.user_tasks import complete_task
from helpers import REFUND_BPMN, bpmn_document, flow
from step_up_models import step_up_files, step_up_model

MAX_AGE, SECOND, GROUPS, POLICY = ("fuse.stepUp.maxAuthAgeMinutes", "fuse.stepUp.secondFactor",
                                   "fuse.stepUp.groups", "fuse.stepUp.policy")


def person(name="alice", groups=("finance",), minutes_ago: float = 1, amr=("pwd",)) -> Actor:
    return Actor(name, frozenset(groups), utcnow() - timedelta(minutes=minutes_ago), amr, "10.0.0.1")


def start(sessions, properties: dict, variables: dict | None = None, zeebe: bool = False) -> tuple[str, str]:
    with sessions() as session:
        deploy(session, step_up_files(properties, zeebe), None, "admin")
        instance_id = start_instance(session, person("bob"), definition_key="stepup",
                                     variables=variables or {}).id
        session.commit()
        [task] = open_tasks(session, instance_id)
        return instance_id, task.id


def complete(sessions, task_id: str, actor: Actor, variables: dict | None = None):
    with sessions() as session:
        complete_task(session, task_id, actor, variables or {"ok": True})
        session.commit()


def events(sessions, instance_id: str, kind: str) -> list:
    with sessions() as session:
        return [(e.actor, e.data) for e in instance_history(session, instance_id) if e.type == kind]


def refused(sessions, task_id: str, actor: Actor, error=StepUpRequired):
    with pytest.raises(error) as caught:
        complete(sessions, task_id, actor)
    return caught.value


def unchanged(sessions, instance_id: str, task_id: str) -> None:
    with sessions() as session:
        row = get_instance(session, instance_id)
        assert row.state == "active" and "ok" not in row.variables
        assert [t.id for t in open_tasks(session, instance_id)] == [task_id]
        assert [e.type for e in instance_history(session, instance_id)].count("task_completed") == 0


@pytest.mark.parametrize("zeebe", [False, True], ids=["camunda7", "camunda8"])
def test_a_stale_sign_in_is_refused_and_a_fresh_one_completes(sessions, zeebe):
    instance_id, task_id = start(sessions, {MAX_AGE: "10"}, zeebe=zeebe)
    err = refused(sessions, task_id, person(minutes_ago=30))
    assert err.missing == [{"requirement": "auth_within_minutes", "value": 10}] and err.status == 403
    assert err.problem == "step-up-required" and err.task_id == task_id
    unchanged(sessions, instance_id, task_id)
    [(actor, data)] = events(sessions, instance_id, "step_up_required")
    assert actor == "alice" and data == {"task_id": task_id, "user": "alice", "missing": err.missing}
    complete(sessions, task_id, person(minutes_ago=2))
    with sessions() as session:
        assert get_instance(session, instance_id).state == "completed"


def test_an_api_token_has_no_sign_in_time_so_it_never_meets_an_age(sessions):
    _, task_id = start(sessions, {MAX_AGE: "10"})
    token = Actor("alice", frozenset({"finance"}), None, ("token",), None)
    assert refused(sessions, task_id, token).missing == [{"requirement": "auth_within_minutes", "value": 10}]


@pytest.mark.parametrize("zeebe", [False, True], ids=["camunda7", "camunda8"])
def test_a_second_factor_is_required(sessions, zeebe):
    instance_id, task_id = start(sessions, {SECOND: "true"}, zeebe=zeebe)
    assert refused(sessions, task_id, person()).missing == [{"requirement": "second_factor"}]
    unchanged(sessions, instance_id, task_id)
    complete(sessions, task_id, person(amr=("pwd", "otp")))


def test_a_group_is_required_any_listed_one_will_do(sessions):
    instance_id, task_id = start(sessions, {GROUPS: "finance, audit"})
    err = refused(sessions, task_id, person(groups=("sales",)))
    assert err.missing == [{"requirement": "group", "value": "finance"}, {"requirement": "group", "value": "audit"}]
    unchanged(sessions, instance_id, task_id)
    complete(sessions, task_id, person(groups=("audit",)))


def test_several_requirements_are_all_listed(sessions):
    _, task_id = start(sessions, {MAX_AGE: "5", SECOND: "true", GROUPS: "finance"})
    err = refused(sessions, task_id, person(groups=(), minutes_ago=6))
    assert err.missing == [{"requirement": "auth_within_minutes", "value": 5}, {"requirement": "second_factor"},
                           {"requirement": "group", "value": "finance"}]


def test_a_task_without_requirements_asks_nothing_and_records_nothing(sessions):
    with sessions() as session:
        deploy(session, {"plain.bpmn": step_up_model({"other": "x"}, key="plain")}, None, "admin")
        instance_id = start_instance(session, person("bob"), definition_key="plain", variables={}).id
        session.commit()
        [task] = open_tasks(session, instance_id)
        assert not task_step_up(session, task)
    complete(sessions, task.id, person(minutes_ago=600))
    assert events(sessions, instance_id, "policy_evaluated") == []


@pytest.mark.parametrize("zeebe", [False, True], ids=["camunda7", "camunda8"])
def test_the_policy_allows_small_refunds_and_records_each_verdict(sessions, zeebe):
    instance_id, task_id = start(sessions, {POLICY: "approval.policy.json"}, {"amount": 50, "requester": "bob"},
                                 zeebe=zeebe)
    complete(sessions, task_id, person())
    [(actor, verdict)] = events(sessions, instance_id, "policy_evaluated")
    assert actor == "alice" and verdict["decision"] == "allow" and verdict["matched"] == []
    assert verdict["task_id"] == task_id and verdict["person"] == {"user": "alice", "trust_score": None}


def test_the_policy_asks_a_step_up_for_large_refunds(sessions):
    instance_id, task_id = start(sessions, {POLICY: "approval.policy.json"}, {"amount": 1500, "requester": "bob"})
    err = refused(sessions, task_id, person())
    assert err.missing == [
        {"requirement": "policy", "policy": "approval.policy.json",
         "reasons": ["refunds over 1000 need a recent second factor"]},
        {"requirement": "auth_within_minutes", "value": 10}, {"requirement": "second_factor"}]
    unchanged(sessions, instance_id, task_id)
    [(_, verdict)] = events(sessions, instance_id, "policy_evaluated")
    assert verdict["decision"] == "step_up" and [m["id"] for m in verdict["matched"]] == ["large"]
    assert verdict["matched"][0]["requires"] == {"second_factor": True, "max_auth_age_minutes": 10}
    [(_, refusal)] = events(sessions, instance_id, "step_up_required")
    assert refusal["missing"] == err.missing
    complete(sessions, task_id, person(amr=("pwd", "otp")))
    assert [v["decision"] for _, v in events(sessions, instance_id, "policy_evaluated")] == ["step_up", "allow"]


def test_the_policy_denies_the_requester_even_with_a_second_factor(sessions):
    instance_id, task_id = start(sessions, {POLICY: "approval.policy.json"}, {"amount": 1500, "requester": "alice"})
    err = refused(sessions, task_id, person(amr=("pwd", "otp")), error=Forbidden)
    assert not isinstance(err, StepUpRequired) and err.problem == "forbidden"
    assert err.extra["reasons"] == ["nobody approves their own refund"]
    unchanged(sessions, instance_id, task_id)
    [(_, verdict)] = events(sessions, instance_id, "policy_evaluated")
    assert verdict["decision"] == "deny" and verdict["matched"][0]["id"] == "own-request"
    assert events(sessions, instance_id, "step_up_required") == []


@pytest.mark.parametrize("properties, message", [
    ({MAX_AGE: "ten"}, "fuse.stepUp.maxAuthAgeMinutes must be a whole number of minutes from 1, not 'ten'"),
    ({MAX_AGE: "0"}, "fuse.stepUp.maxAuthAgeMinutes must be a whole number"),
    ({SECOND: "yes"}, "fuse.stepUp.secondFactor must be \"true\" or \"false\", not 'yes'"),
    ({GROUPS: " , "}, "fuse.stepUp.groups must name at least one group"),
    ({POLICY: "approval.json"}, "fuse.stepUp.policy must name a deployed .policy.json file"),
    ({"fuse.stepUp.secondfactor": "true"}, "unknown property fuse.stepUp.secondfactor"),
])
@pytest.mark.parametrize("zeebe", [False, True], ids=["camunda7", "camunda8"])
def test_bad_values_stop_the_deployment_naming_the_element(sessions, properties, message, zeebe):
    with sessions() as session, pytest.raises(InvalidModel) as caught:
        deploy(session, step_up_files(properties, zeebe), None, "admin")
    [found] = caught.value.errors
    assert found.element_id == "approve" and found.file == "stepup.bpmn"
    assert message in found.message and "Approve" in found.message
    report = validate_files(step_up_files(properties, zeebe))
    assert not report.valid and [e.element_id for e in report.errors] == ["approve"]


def test_a_policy_file_not_deployed_is_a_warning_and_the_task_fails_closed(sessions):
    with sessions() as session:
        result = deploy(session, {"stepup.bpmn": step_up_model({POLICY: "missing.policy.json"})}, None, "admin")
        [warning] = [w for w in result.warnings if "missing.policy.json" in w.message]
        assert warning.element_id == "approve" and "nobody can complete the task" in warning.message
        instance_id = start_instance(session, person("bob"), definition_key="stepup", variables={}).id
        session.commit()
        [task] = open_tasks(session, instance_id)
    with pytest.raises(InvalidModel) as caught:
        complete(sessions, task.id, person(amr=("pwd", "otp")))
    assert caught.value.errors[0].element_id == "approve" and "missing.policy.json" in caught.value.detail
    unchanged(sessions, instance_id, task.id)


def test_the_initiator_variable_cannot_be_claimed_by_a_start_variable(sessions):
    body = ('<bpmn:startEvent id="start" camunda:initiator="requester"/><bpmn:userTask id="approve"/>'
            '<bpmn:endEvent id="end"/>' + flow("f1", "start", "approve") + flow("f2", "approve", "end"))
    with sessions() as session:
        deploy(session, {"init.bpmn": bpmn_document(body, "init")}, None, "admin")
        instance = start_instance(session, person("bob"), definition_key="init", variables={"requester": "carol"})
        assert instance.variables["requester"] == "bob"


def test_step_up_properties_on_anything_but_a_user_task_are_refused(sessions):
    body = ('<bpmn:startEvent id="start"/><bpmn:manualTask id="check" name="Check">'
            '<bpmn:extensionElements><camunda:properties><camunda:property name="fuse.stepUp.secondFactor" '
            'value="true"/></camunda:properties></bpmn:extensionElements></bpmn:manualTask><bpmn:endEvent id="end"/>'
            + flow("f1", "start", "check") + flow("f2", "check", "end"))
    with sessions() as session, pytest.raises(InvalidModel) as caught:
        deploy(session, {"manual.bpmn": bpmn_document(body, "manual")}, None, "admin")
    [found] = caught.value.errors
    assert found.element_id == "check" and "for user tasks only" in found.message


def sample_refund(session, requester: Actor, amount: int) -> tuple[str, str]:
    """The Refund Approval sample deployed as `make run` does, and a refund started by `requester`."""
    files = {path.name: path.read_bytes() for path in REFUND_BPMN.parent.iterdir() if path.suffix != ".md"}
    deploy(session, files, "refund-approval", "admin")
    instance_id = start_instance(session, requester, definition_key="refund_approval",
                                 variables={"amount": amount, "customer": "ACME", "reason": "late"}).id
    session.commit()
    [task] = open_tasks(session, instance_id)
    return instance_id, task.id


@pytest.mark.parametrize("changed, removed", [({"requester": None}, ()), ({"requester": "carol"}, ()),
                                              ({}, ("requester",))], ids=["null", "someone-else", "removed"])
def test_the_requester_of_a_large_refund_cannot_approve_it_after_changing_the_requester_variable(
        sessions, changed, removed):
    # The starter may PATCH the instance's variables (camunda:initiator's `requester` among them); the sample's
    # rule reads `instance.started_by`, which the engine recorded and nobody changes.
    demo = person("demo", ("admin", "finance"), amr=("pwd", "otp"))
    with sessions() as session:
        instance_id, task_id = sample_refund(session, demo, 2500)
        patch_variables(session, instance_id, demo, changed, remove=removed)
        session.commit()
    err = refused(sessions, task_id, demo, error=Forbidden)
    assert err.extra["reasons"] == ["a refund over 1,000 is approved by someone other than its requester"]
    unchanged(sessions, instance_id, task_id)
    complete(sessions, task_id, person("alice", amr=("pwd", "otp")), {"approved": True})
    with sessions() as session:
        assert get_instance(session, instance_id).variables["paid"] is True


def test_a_variable_named_instance_cannot_pass_for_the_recorded_one(sessions):
    demo = person("demo", ("admin", "finance"), amr=("pwd", "otp"))
    with sessions() as session:
        instance_id, task_id = sample_refund(session, demo, 2500)
        patch_variables(session, instance_id, demo, {"instance": {"started_by": "carol"}})
        session.commit()
    refused(sessions, task_id, demo, error=Forbidden)
    [(_, verdict)] = events(sessions, instance_id, "policy_evaluated")
    assert verdict["decision"] == "deny" and verdict["matched"][0]["id"] == "own-refund"
