"""Policies about the person acting, mid-flow: the command's person reaches the `policy` handler (start,
complete), a step-up routes to a user task for that very person, a deny on `person.user == requester`
ends the refund, the worker's runs judge nobody, the deployment's trust score feeds the rules, and every
verdict is in the history with the person's name, trust score and matched rules."""
from __future__ import annotations

from datetime import timedelta

from engine.deployment.deploy import deploy
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.store.models import utcnow
from engine.tasks.user_tasks import complete_task, may_work_on
from engine.worker.worker import Worker
from policy_people import EXAMPLE_TRUST_SCORE, refund_files, refund_model

LARGE = {"amount": 1500, "requester": "bob"}
STEP_UP_REQUIRES = {"second_factor": True, "max_auth_age_minutes": 10}


def alice(amr=("pwd",), minutes_ago: float = 1, address: str | None = "10.1.2.3") -> Actor:
    return Actor("alice", frozenset({"finance"}), utcnow() - timedelta(minutes=minutes_ago), amr, address)


DEMO = Actor("demo", frozenset({"admin", "finance"}), utcnow(), ("token",), "127.0.0.1")


def start(sessions, actor: Actor, variables: dict, key: str = "refund", files: dict | None = None) -> str:
    with sessions() as session:
        deploy(session, files or refund_files(), None, "admin")
        instance_id = start_instance(session, actor, definition_key=key, variables=variables).id
        session.commit()
    return instance_id


def verdicts(sessions, instance_id: str) -> list[dict]:
    with sessions() as session:
        return [e.data | {"actor": e.actor} for e in instance_history(session, instance_id)
                if e.type == "policy_evaluated"]


def state(sessions, instance_id: str) -> tuple[str, dict, list[tuple[str, str | None]]]:
    with sessions() as session:
        row = get_instance(session, instance_id)
        return row.state, row.variables, [(t.activity_id, t.assignee) for t in open_tasks(session, instance_id)]


def test_a_large_refund_without_a_second_factor_waits_for_that_person_to_step_up(sessions):
    instance_id = start(sessions, alice(), LARGE)
    status, variables, tasks = state(sessions, instance_id)
    assert status == "active" and tasks == [("confirm", "alice")]
    assert variables["step_up_user"] == "alice"
    assert variables["step_up_reasons"] == ["refunds over 1000 need a second factor"]
    assert variables["step_up_requires"] == STEP_UP_REQUIRES
    assert variables["decision"] == "step_up" and "outcome" not in variables
    [verdict] = verdicts(sessions, instance_id)
    assert verdict == {"policy": "refund-people", "decision": "step_up", "score": None, "actor": "handler:policy",
                       "matched": [{"id": "large-needs-second-factor", "effect": "step_up",
                                    "reason": "refunds over 1000 need a second factor",
                                    "requires": STEP_UP_REQUIRES}],
                       "person": {"user": "alice", "trust_score": None}}
    with sessions() as session:
        [task] = open_tasks(session, instance_id)
        assert not may_work_on(DEMO, task)  # the step-up task is alice's alone
        complete_task(session, task.id, alice(("pwd", "otp")), {})
        session.commit()
    assert state(sessions, instance_id)[0] == "completed"


def test_the_same_refund_with_a_second_factor_goes_on(sessions):
    instance_id = start(sessions, alice(("pwd", "otp")), LARGE)
    status, variables, tasks = state(sessions, instance_id)
    assert (status, variables["outcome"], tasks) == ("completed", "approved", [])
    assert "step_up_user" not in variables
    [verdict] = verdicts(sessions, instance_id)
    assert verdict["decision"] == "allow" and verdict["matched"] == []
    assert verdict["person"] == {"user": "alice", "trust_score": None}


def test_nobody_approves_their_own_refund(sessions):
    instance_id = start(sessions, alice(("pwd", "otp")), {"amount": 50, "requester": "alice"})
    status, variables, tasks = state(sessions, instance_id)
    assert (status, variables["outcome"], tasks) == ("completed", "denied", [])
    [verdict] = verdicts(sessions, instance_id)
    assert verdict["decision"] == "deny" and [m["id"] for m in verdict["matched"]] == ["own-request"]
    assert verdict["person"]["user"] == "alice"
    # Someone else may ask for the same refund.
    other = start(sessions, DEMO, {"amount": 50, "requester": "alice"})
    assert state(sessions, other)[1]["outcome"] == "approved"


def test_a_variable_named_person_cannot_speak_for_the_person_acting(sessions):
    forged = {"user": "boss", "second_factor": True, "authenticated": True, "trust_score": 100.0}
    instance_id = start(sessions, alice(), {**LARGE, "person": forged})
    _, variables, tasks = state(sessions, instance_id)
    assert tasks == [("confirm", "alice")] and variables["step_up_user"] == "alice"
    assert verdicts(sessions, instance_id)[0]["person"]["user"] == "alice"


def test_the_person_completing_a_task_is_the_one_judged_not_the_starter(sessions):
    files = {**refund_files(), "refund.bpmn": refund_model(key="prepared", prepare=True)}
    instance_id = start(sessions, DEMO, LARGE, key="prepared", files=files)
    with sessions() as session:
        [task] = open_tasks(session, instance_id)
        complete_task(session, task.id, alice(), {})
        session.commit()
    _, variables, tasks = state(sessions, instance_id)
    assert tasks == [("confirm", "alice")] and variables["step_up_user"] == "alice"


def test_a_policy_run_by_the_worker_judges_nobody_and_its_step_up_is_nobody_s(sessions):
    files = {**refund_files(), "refund.bpmn": refund_model(key="later", service_attributes='camunda:asyncBefore="true"')}
    instance_id = start(sessions, alice(("pwd", "otp")), LARGE, key="later", files=files)
    assert verdicts(sessions, instance_id) == []  # the policy waits for the worker
    assert Worker(sessions).run_once() == 1
    _, variables, tasks = state(sessions, instance_id)
    assert tasks == [("confirm", "")] and variables["step_up_user"] == ""  # nobody has a second factor
    [verdict] = verdicts(sessions, instance_id)
    assert verdict["decision"] == "step_up" and verdict["person"] == {"user": "", "trust_score": None}
    with sessions() as session:
        [task] = open_tasks(session, instance_id)
        assert not may_work_on(alice(("pwd", "otp")), task) and not may_work_on(DEMO, task)


def test_the_trust_score_setting_feeds_the_rules_and_the_history(sessions, monkeypatch):
    monkeypatch.setenv("FUSE_TRUST_SCORE", EXAMPLE_TRUST_SCORE)
    files = {**refund_files(), "refund.bpmn": refund_model("trust.policy.json", key="trusted")}
    strong = start(sessions, alice(("pwd", "otp")), LARGE, key="trusted", files=files)  # 50 + 30 + 20
    fresh_outside = start(sessions, alice(address="203.0.113.5"), LARGE, key="trusted", files=files)  # 30
    old_inside = start(sessions, alice(minutes_ago=120), LARGE, key="trusted", files=files)  # 20
    assert state(sessions, strong)[1]["outcome"] == "approved"
    assert verdicts(sessions, strong)[0]["person"] == {"user": "alice", "trust_score": 100.0}
    for instance_id, score in ((fresh_outside, 30.0), (old_inside, 20.0)):
        _, variables, tasks = state(sessions, instance_id)
        assert tasks == [("confirm", "alice")]
        assert variables["step_up_reasons"] == ["the person's trust score is below 50"]
        assert variables["step_up_requires"] == {}
        [verdict] = verdicts(sessions, instance_id)
        assert verdict["person"]["trust_score"] == score and verdict["matched"][0]["id"] == "low-trust"


def test_the_worker_s_nobody_has_the_lowest_trust_score(sessions, monkeypatch):
    monkeypatch.setenv("FUSE_TRUST_SCORE", EXAMPLE_TRUST_SCORE)
    files = {**refund_files(), "refund.bpmn": refund_model("trust.policy.json", key="later_trust",
                                                           service_attributes='camunda:asyncBefore="true"')}
    instance_id = start(sessions, alice(("pwd", "otp")), LARGE, key="later_trust", files=files)
    assert Worker(sessions).run_once() == 1
    assert state(sessions, instance_id)[2] == [("confirm", "")]
    assert verdicts(sessions, instance_id)[0]["person"] == {"user": "", "trust_score": 0.0}


def failures(sessions, instance_id: str) -> list[str]:
    with sessions() as session:
        return [e.data["error"] for e in instance_history(session, instance_id) if e.type == "handler_failed"]


def test_a_trust_score_that_gives_no_number_fails_the_call_naming_the_setting(sessions, monkeypatch):
    monkeypatch.setenv("FUSE_TRUST_SCORE", "person.user")  # set after startup checked it: a text, not a score
    files = {**refund_files(), "refund.bpmn": refund_model("trust.policy.json", key="trusted")}
    instance_id = start(sessions, alice(), LARGE, key="trusted", files=files)
    [error] = failures(sessions, instance_id)
    assert error.startswith("ValueError: FUSE_TRUST_SCORE gave 'alice' for 'alice', not a number")
    assert state(sessions, instance_id)[0] == "active"  # retried later, then an incident: never a crash


def test_a_rule_on_the_trust_score_without_the_setting_says_it_is_not_set(sessions, monkeypatch):
    monkeypatch.delenv("FUSE_TRUST_SCORE", raising=False)
    files = {**refund_files(), "refund.bpmn": refund_model("trust.policy.json", key="trusted")}
    instance_id = start(sessions, alice(), LARGE, key="trusted", files=files)
    [error] = failures(sessions, instance_id)
    assert "rule 'low-trust' failed" in error and "person.trust_score is null because FUSE_TRUST_SCORE is not set" in error

