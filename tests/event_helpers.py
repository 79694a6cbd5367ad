"""Builders and a small engine-level driver for the event tests (errors, escalations, event
sub-processes, terminate end events): every step is its own transaction, so the instance is saved
and reloaded between steps."""
from __future__ import annotations

from sqlalchemy import select

from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.history.reading import instance_history
from engine.store.models import EventSubscription, Job, UserTask
from engine.tasks.user_tasks import complete_task
from helpers import bpmn_document, flow, script_task

ADMIN = Actor("admin", frozenset({"admin"}))
DEFINITIONS = ('<bpmn:error id="err_late" name="late" errorCode="LATE" camunda:errorMessage="too late: ${reason}"/>'
               '<bpmn:error id="err_any" name="other" errorCode="=code"/>'
               '<bpmn:escalation id="esc_late" name="late" escalationCode="LATE"/>'
               '<bpmn:message id="msg_cancel" name="cancel"/><bpmn:message id="msg_note" name="note"/>'
               '<bpmn:signal id="sig_stop" name="stop"/>')


def model(body: str, key: str) -> bytes:
    """A process `key` whose elements are `body`, with the errors, escalations, messages and
    signals of DEFINITIONS."""
    return bpmn_document(body, key).replace(b"</bpmn:definitions>", DEFINITIONS.encode() + b"</bpmn:definitions>")


def chain(*ids: str, prefix: str = "f") -> str:
    """Sequence flows through the given element ids, in order."""
    return "".join(flow(f"{prefix}{n}_{a}", a, b) for n, (a, b) in enumerate(zip(ids, ids[1:])))


def sub_process(sub_id: str, body: str, event: bool = False) -> str:
    triggered = ' triggeredByEvent="true"' if event else ""
    return f'<bpmn:subProcess id="{sub_id}"{triggered}>{body}</bpmn:subProcess>'


def event(tag: str, event_id: str, definition: str = "", attributes: str = "") -> str:
    """A start, end, intermediate or boundary event, e.g. event("endEvent", "fail", error("err_late"))."""
    return f'<bpmn:{tag} id="{event_id}" {attributes}>{definition}</bpmn:{tag}>'


def error(ref: str | None = None, attributes: str = "") -> str:
    ref_attribute = f' errorRef="{ref}"' if ref else ""
    return f'<bpmn:errorEventDefinition{ref_attribute} {attributes}/>'


def escalation(ref: str | None = None, attributes: str = "") -> str:
    ref_attribute = f' escalationRef="{ref}"' if ref else ""
    return f'<bpmn:escalationEventDefinition{ref_attribute} {attributes}/>'


def timer(kind: str, value: str) -> str:
    return f'<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>'


def user_task(task_id: str) -> str:
    return f'<bpmn:userTask id="{task_id}" name="{task_id}"/>'


def script(task_id: str, code: str) -> str:
    return script_task(task_id, code)


def start_model(sessions, document: bytes, key: str, variables: dict | None = None) -> str:
    """Deploy `document` and start process `key`; returns the instance id."""
    with sessions() as session:
        deploy(session, {f"{key}.bpmn": document}, None, "admin")
        instance_id = start_instance(session, ADMIN, definition_key=key, variables=variables or {}).id
        session.commit()
    return instance_id


def complete(sessions, instance_id: str, activity_id: str, variables: dict | None = None) -> None:
    """Complete the open user task `activity_id` of the instance."""
    with sessions() as session:
        [task] = [t for t in open_tasks(session, instance_id) if t.activity_id == activity_id]
        complete_task(session, task.id, ADMIN, variables or {})
        session.commit()


def look(sessions, instance_id: str) -> dict:
    """What a user sees of an instance: state, variables, open tasks, cancelled tasks, active
    activities, jobs, subscriptions and history (type, activity) pairs."""
    with sessions() as session:
        row = get_instance(session, instance_id)
        tasks = list(session.scalars(select(UserTask).where(UserTask.instance_id == instance_id)))
        return {
            "state": row.state, "variables": row.variables, "error": row.error,
            "open": sorted(t.activity_id for t in tasks if t.state == "open"),
            "cancelled": sorted(t.activity_id for t in tasks if t.state == "cancelled"),
            "active": sorted(a["activity_id"] for a in row.active_activities),
            "jobs": sorted(j.activity_id for j in session.scalars(select(Job).where(Job.instance_id == instance_id))),
            "subscriptions": sorted(s.activity_id for s in session.scalars(
                select(EventSubscription).where(EventSubscription.instance_id == instance_id))),
            "history": [(e.type, e.activity_id) for e in instance_history(session, instance_id)],
            "thrown": [e.data for e in instance_history(session, instance_id)
                       if e.type in ("bpmn_error_thrown", "escalation_thrown")],
        }
