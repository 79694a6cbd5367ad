"""Step-up on user tasks: before a person completes a task, check what the task asks of them (a recent
sign-in, a second factor, a group, a policy's allow; see bpmn.step_up) against how they signed in.

A refusal changes nothing in the instance but is written to its history (`step_up_required`, and every
policy verdict as `policy_evaluated`), committed before the error leaves, so that the audit trail keeps
who was turned away and why.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from bpmn.errors import ElementProblem
from bpmn.step_up import StepUp, step_up_of
from engine.definitions.files import deployment_files
from engine.definitions.task_forms import task_extensions, task_variables
from engine.errors import Forbidden, InvalidModel, StepUpRequired
from engine.handlers.policy import PERSON, evaluate_policy
from engine.handlers.policy_document import Effect, compiled_policy
from engine.identity.person import person_context
from engine.identity.users import Actor
from engine.runtime.live import LiveInstance
from engine.store.models import ProcessInstance, UserTask


# What the engine recorded about the instance, beside its variables: a variable (such as camunda:initiator's)
# can be changed by the instance's starter (PATCH .../variables), so "not the requester" must read `started_by`.
INSTANCE = "instance"


def instance_facts(row: ProcessInstance) -> dict:
    """The instance as a policy sees it: `{id, business_key, started_by}` (`started_by` null when nobody started it,
    e.g. a timer or a message)."""
    return {"id": row.id, "business_key": row.business_key, "started_by": row.started_by}


def task_step_up(session: Session, task: UserTask, instance: ProcessInstance | None = None) -> StepUp:
    """What the task asks of the person completing it."""
    instance = instance or session.get(ProcessInstance, task.instance_id)
    return step_up_of(task_extensions(session, instance, task.activity_id)[1])


def _unmet(step_up: StepUp, person: dict) -> list[dict]:
    """The task's own requirements the person does not meet (in the contract's `missing` form)."""
    missing = []
    age = person.get("auth_age_minutes")
    if step_up.max_auth_age_minutes is not None and (age is None or age > step_up.max_auth_age_minutes):
        missing.append({"requirement": "auth_within_minutes", "value": step_up.max_auth_age_minutes})
    if step_up.second_factor and not person.get("second_factor"):
        missing.append({"requirement": "second_factor"})
    if step_up.groups and not set(step_up.groups) & set(person.get("groups") or []):
        missing.extend({"requirement": "group", "value": group} for group in step_up.groups)
    return missing


def _from_requires(requires: dict) -> list[dict]:
    """A step_up verdict's `requires` ({"second_factor", "max_auth_age_minutes"}) as missing items."""
    missing = []
    if requires.get("max_auth_age_minutes") is not None:
        missing.append({"requirement": "auth_within_minutes", "value": requires["max_auth_age_minutes"]})
    if requires.get("second_factor"):
        missing.append({"requirement": "second_factor"})
    return missing


def _judge(session: Session, task: UserTask, live: LiveInstance, policy_name: str, person: dict
           ) -> tuple[Effect, list[dict], str]:
    """Run the task's policy on the variables the task sees plus `person`, `task` and `instance` (these three
    over any variable of the same name); record the verdict.
    Returns the decision, what a step-up asks for, and the reasons."""
    definition, _ = task_extensions(session, live.row, task.activity_id)
    try:
        policy = compiled_policy(deployment_files(session, definition.deployment_id)(policy_name), policy_name)
        variables = task_variables(task, live.variables(), live.row.workflow_state)
        result = evaluate_policy(policy, {**variables, PERSON: person, "task": {
            "id": task.id, "activity_id": task.activity_id, "name": task.name or ""},
            INSTANCE: instance_facts(live.row)})
    except (KeyError, ValueError) as err:
        message = f"the step-up policy of task '{task.name or task.activity_id}' cannot be judged: {err}"
        raise InvalidModel(message, [ElementProblem(task.activity_id, None, message, policy_name)]) from None
    live.history.record("policy_evaluated", activity_id=task.activity_id, activity_name=task.name,
                        actor=person["user"], data={**result.history(person), "task_id": task.id})
    reasons = [rule.reason for rule in result.matched if rule.effect is result.decision] or [result.error_message()]
    if result.decision is not Effect.STEP_UP:
        return result.decision, [], reasons
    requires = result.step_up(person)["step_up_requires"]
    return result.decision, [{"requirement": "policy", "policy": policy_name, "reasons": reasons},
                             *_from_requires(requires)], reasons


def check_step_up(session: Session, task: UserTask, live: LiveInstance, actor: Actor) -> None:
    """Refuse (StepUpRequired, or Forbidden on a policy's deny) unless the actor meets the task's
    requirements; a refusal's history is committed first. Nothing is recorded for a task that asks nothing."""
    step_up = task_step_up(session, task, live.row)
    if not step_up:
        return
    person = person_context(actor)
    missing = _unmet(step_up, person)
    if step_up.policy:
        decision, asked, reasons = _judge(session, task, live, step_up.policy, person)
        if decision is Effect.DENY:
            _commit_history(session, live)
            raise Forbidden(f"{actor.name} may not complete task {task.id}: " + "; ".join(reasons),
                            reasons=reasons)
        missing.extend(item for item in asked if item not in missing)
    if not missing:
        return
    live.history.record("step_up_required", activity_id=task.activity_id, activity_name=task.name,
                        actor=actor.name, data={"task_id": task.id, "user": actor.name, "missing": missing})
    _commit_history(session, live)
    raise StepUpRequired(f"{actor.name} must show more to complete task '{task.name or task.activity_id}': "
                         + ", ".join(_describe(item) for item in missing), task_id=task.id, missing=missing)


def _commit_history(session: Session, live: LiveInstance) -> None:
    """Keep the refusal in the history: the caller rolls back whatever else the command did (nothing yet)."""
    live.history.flush(session, live.row)
    session.commit()


def _describe(item: dict) -> str:
    kind = item["requirement"]
    if kind == "auth_within_minutes":
        return f"a sign-in within the last {item['value']} minute(s)"
    if kind == "second_factor":
        return "a sign-in with a second factor"
    if kind == "group":
        return f"membership of group {item['value']}"
    return f"policy {item['policy']}: " + "; ".join(item["reasons"])
