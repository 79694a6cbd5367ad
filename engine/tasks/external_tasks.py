"""External tasks: service tasks done by workers outside Fuse, over REST (fetch-and-lock, complete, fail).

A worker locks tasks of its topics for a while; only the lock's holder may complete, fail or extend
it, and an expired lock makes the task available again. The holder is the worker_id string AND the
user the worker authenticated as: another user sending the same worker_id is not the holder. Locking is one UPDATE that re-checks the
lock in its WHERE clause, so two workers fetching at once never get the same task.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, false, or_, select, update
from sqlalchemy.orm import Session

from bpmn.specs import SERVICE_DONE
from engine.runtime.async_boundaries import EXTERNAL, tasks_marked
from engine.store.claiming import claimable
from engine.errors import Conflict, NotLockHolder
from engine.runtime.live import LiveInstance, open_live_instance
from engine.runtime.saving import save_live_instance
from engine.store.local_variables import stored_local_variables
from engine.store.lookup import get_or_raise
from engine.store.models import ExternalTask, ProcessInstance, utcnow
from engine.runtime.observer import ACTOR, all_workflows, find_task
from engine.runtime.service_calls import ATTEMPTS, HANDLER_OUTPUTS, handler_name, open_incident, throw_bpmn_error
from engine.store.states import InstanceState
from engine.store.variable_values import check_variables
from engine.tasks.external_task_wakeups import external_tasks_changed

# internal_data: the retries a worker is told when the task is next fetched (set by an incident retry).
RETRIES = "fuse_external_retries"
# Camunda 7 retries an incident by "set retries" to 1: one more try, available at once.
RETRIES_AFTER_INCIDENT = 1


def restore_retries(task) -> None:
    """An incident of this task is retried: if a worker does it, it gets one more try (as in Camunda 7)."""
    if handler_name(task.task_spec.extensions.get("handler", {}))[1]:
        task.internal_data[RETRIES] = RETRIES_AFTER_INCIDENT


def sync_external_tasks(session: Session, live: LiveInstance) -> None:
    """A row for every task waiting for a worker; rows whose task went away are removed."""
    workflows = all_workflows(live.workflow)
    waiting = {} if live.state == InstanceState.TERMINATED else {
        str(t.id): t for t in tasks_marked(workflows, EXTERNAL)}
    # Rows exist only for tasks that carry (or carried, if since cancelled) the marker: without any,
    # a save need not look at the table at all.
    ever_external = any(t.internal_data.get(EXTERNAL) for wf in workflows for t in wf.tasks.values())
    if not ever_external and live.state != InstanceState.TERMINATED:
        return
    rows = {r.id: r for r in session.scalars(select(ExternalTask).where(ExternalTask.instance_id == live.row.id))}
    for task_id, row in rows.items():
        if task_id not in waiting:
            session.delete(row)
    for task_id, task in waiting.items():
        if task_id not in rows:
            external_tasks_changed(session)
            session.add(ExternalTask(id=task_id, instance_id=live.row.id, activity_id=task.task_spec.bpmn_id,
                                     topic=task.internal_data[EXTERNAL], retries=task.internal_data.get(RETRIES),
                                     created_at=utcnow()))


@dataclass
class LockedTask:
    id: str
    topic: str
    instance_id: str
    activity_id: str | None
    business_key: str | None
    variables: dict
    retries: int | None
    lock_expires_at: datetime


def _json_equals(column, value):
    """SQL: a JSON column's member equals a plain JSON value (what Camunda's processVariables filter asks)."""
    if value is None:
        return column.as_string().is_(None)
    if isinstance(value, bool):
        return column.as_boolean() == value
    if isinstance(value, int):
        return column.as_integer() == value
    if isinstance(value, float):
        return column.as_float() == value
    if isinstance(value, str):
        return column.as_string() == value
    return false()  # objects and lists are not compared


def _instances_for(topic: dict):
    """The ids of active instances a topic's filters admit (business key, definitions, variable values)."""
    query = select(ProcessInstance.id).where(ProcessInstance.state == InstanceState.ACTIVE.value)
    if topic.get("business_key") is not None:
        query = query.where(ProcessInstance.business_key == topic["business_key"])
    if topic.get("definition_ids"):
        query = query.where(ProcessInstance.definition_id.in_(topic["definition_ids"]))
    if topic.get("definition_keys"):
        query = query.where(ProcessInstance.definition_key.in_(topic["definition_keys"]))
    for name, value in (topic.get("variables_equal") or {}).items():
        query = query.where(_json_equals(ProcessInstance.variables[name], value))
    return query


def fetch_and_lock(session: Session, worker_id: str, max_tasks: int, topics: list[dict],
                   worker_user: str | None = None) -> list[LockedTask]:
    """Lock up to `max_tasks` available tasks of the given topics for this worker of `worker_user` (committed).

    A topic is {"name", "lock_duration_ms"}, optionally narrowed by "business_key", "definition_ids",
    "definition_keys" and "variables_equal" (the instance's variables must have these values)."""
    now, locked = utcnow(), []
    for topic in topics:
        if len(locked) >= max_tasks:
            break
        until = now + timedelta(milliseconds=int(topic.get("lock_duration_ms") or 60_000))
        free = or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at < now)
        candidates = (select(ExternalTask.id).where(ExternalTask.topic == topic["name"], free,
                                                    ExternalTask.instance_id.in_(_instances_for(topic)))
                      .order_by(ExternalTask.created_at).limit(max_tasks - len(locked)))
        session.execute(update(ExternalTask).where(and_(ExternalTask.id.in_(claimable(session, candidates, ExternalTask)),
                                                        free))
                        .values(worker_id=worker_id, worker_user=worker_user, lock_expires_at=until)
                        .execution_options(synchronize_session=False))
        session.commit()
        rows = session.scalars(select(ExternalTask).where(ExternalTask.worker_id == worker_id,
                                                          ExternalTask.worker_user == worker_user,
                                                          ExternalTask.lock_expires_at == until,
                                                          ExternalTask.topic == topic["name"]))
        locked.extend(_locked(session, row) for row in rows)
    return locked


def _locked(session: Session, row: ExternalTask) -> LockedTask:
    instance = session.get(ProcessInstance, row.instance_id)
    # The worker sees what the task sees: the process variables, and its own input parameters over them.
    variables = {**instance.variables, **stored_local_variables(instance.workflow_state, row.id)}
    return LockedTask(row.id, row.topic, row.instance_id, row.activity_id, instance.business_key,
                      variables, row.retries, row.lock_expires_at)


def _check_holder(row: ExternalTask, worker_id: str, worker_user: str | None) -> None:
    if (row.worker_id != worker_id or row.worker_user != worker_user or row.lock_expires_at is None
            or row.lock_expires_at < utcnow()):
        raise NotLockHolder(f"external task {row.id} is not locked by worker {worker_id} of {worker_user}")


def _held_by(session: Session, task_id: str, worker_id: str,
             worker_user: str | None) -> tuple[ExternalTask, LiveInstance, object]:
    row = get_or_raise(session, ExternalTask, task_id, "external task")
    live = open_live_instance(session, row.instance_id)
    session.refresh(row)
    _check_holder(row, worker_id, worker_user)
    task = find_task(live.workflow, task_id)
    if task is None or not task.internal_data.get(EXTERNAL):
        raise Conflict(f"external task {task_id} no longer waits")
    return row, live, task


def complete_external_task(session: Session, task_id: str, worker_id: str, variables: dict,
                           worker_user: str | None = None) -> ProcessInstance:
    check_variables(variables)
    row, live, task = _held_by(session, task_id, worker_id, worker_user)
    # Done: the row goes now (the save below finds no marker left and would not look at the table).
    session.delete(row)
    task.internal_data.pop(EXTERNAL, None)
    task.internal_data.pop(ATTEMPTS, None)
    task.internal_data.pop(RETRIES, None)
    task.data.update(variables)
    task.internal_data[HANDLER_OUTPUTS] = list(variables)
    task.internal_data[SERVICE_DONE] = True
    task.internal_data[ACTOR] = worker_id
    live.history.record("external_task_completed", activity_id=row.activity_id, actor=worker_id,
                        data={"topic": row.topic, "variables": variables})
    live.run(actor=worker_id)
    save_live_instance(session, live)
    return live.row


def fail_external_task(session: Session, task_id: str, worker_id: str, error_message: str,
                       retries: int, retry_timeout_ms: int, worker_user: str | None = None,
                       error_details: str | None = None) -> None:
    """A worker could not do it: available again after the timeout while retries remain, else an incident."""
    row, live, task = _held_by(session, task_id, worker_id, worker_user)
    live.history.record("external_task_failed", activity_id=row.activity_id, actor=worker_id,
                        data={"error": error_message, "retries": retries})
    row.error_details = error_details
    if retries > 0:
        row.retries, row.error_message, row.worker_id, row.worker_user = retries, error_message, None, None
        row.lock_expires_at = utcnow() + timedelta(milliseconds=max(0, retry_timeout_ms))
        external_tasks_changed(session)
        live.history.flush(session, live.row)
        return
    # It now waits at the incident, not for a worker: its row (and the failed worker's lock) goes;
    # retrying the incident makes a fresh row, free at once.
    session.delete(row)
    task.internal_data.pop(EXTERNAL, None)
    open_incident(task, error_message, live.history, live.row.id)
    save_live_instance(session, live)


def bpmn_error_external_task(session: Session, task_id: str, worker_id: str, code: str, message: str,
                             variables: dict, worker_user: str | None = None) -> ProcessInstance:
    check_variables(variables)
    row, live, task = _held_by(session, task_id, worker_id, worker_user)
    session.delete(row)
    task.internal_data.pop(EXTERNAL, None)
    live.run(lambda: throw_bpmn_error(task, code, message, variables, live.history), actor=worker_id)
    save_live_instance(session, live)
    return live.row


def extend_lock(session: Session, task_id: str, worker_id: str, new_duration_ms: int,
                worker_user: str | None = None) -> ExternalTask:
    row = get_or_raise(session, ExternalTask, task_id, "external task")
    _check_holder(row, worker_id, worker_user)
    row.lock_expires_at = utcnow() + timedelta(milliseconds=new_duration_ms)
    return row


def unlock_external_task(session: Session, task_id: str) -> ExternalTask:
    """Free a task whoever holds it (an admin's repair: Camunda's unlock), so any worker may fetch it now."""
    row = get_or_raise(session, ExternalTask, task_id, "external task")
    row.worker_id = row.worker_user = row.lock_expires_at = None
    external_tasks_changed(session)
    return row


def set_external_task_retries(session: Session, task_id: str, retries: int) -> ExternalTask:
    """Set the retries a task's next worker is told; 0 opens an incident, as running out of them does."""
    row = get_or_raise(session, ExternalTask, task_id, "external task")
    if retries > 0:
        row.retries = retries
        external_tasks_changed(session)
        return row
    live = open_live_instance(session, row.instance_id)
    task = find_task(live.workflow, task_id)
    if task is None or not task.internal_data.get(EXTERNAL):
        raise Conflict(f"external task {task_id} no longer waits")
    reason = row.error_message or "retries set to 0"  # read again after the lock, before the row goes
    session.delete(row)
    task.internal_data.pop(EXTERNAL, None)
    open_incident(task, reason, live.history, live.row.id)
    save_live_instance(session, live)
    return row
