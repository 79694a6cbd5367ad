"""User-task rows kept in step with the workflow: one open row per user task waiting for a person."""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bpmn.specs import UserTask as UserTaskSpec
from engine.runtime.async_boundaries import is_held
from engine.runtime.live import LiveInstance
from engine.runtime.open_tasks import remember_open_tasks
from engine.store.models import TaskCandidate, UserTask, utcnow
from engine.store.states import InstanceState, UserTaskState
from engine.tasks.assignment import AssignmentError, resolve_assignment


def open_task_rows(session: Session, instance_id: str) -> dict[str, UserTask]:
    """The instance's open user-task rows with their candidates, in one statement. A row already in the session
    keeps what this transaction changed in it (a stale one was expired when the instance was locked)."""
    found = session.scalars(select(UserTask).where(UserTask.instance_id == instance_id,
                                                   UserTask.state == UserTaskState.OPEN.value)
                            .options(joinedload(UserTask.candidates))).unique()
    return {row.id: row for row in found}


def _open_rows(session: Session, live: LiveInstance) -> dict[str, UserTask]:
    if not live.stored:
        return {}
    if live.open_user_tasks is None:
        # Read without flushing first: the instance row is then written once, with its history (flush_history).
        with session.no_autoflush:
            live.open_user_tasks = open_task_rows(session, live.row.id)
    # A row this command closed (completed) is still in the map, and in the identity map, as it was read.
    return {task_id: row for task_id, row in live.open_user_tasks.items() if row.state == UserTaskState.OPEN.value}


def sync_user_tasks(session: Session, live: LiveInstance) -> None:
    """Open a row for each user task that became ready; cancel rows whose task went away (a save step)."""
    ready = {str(t.id): t for t in live.live_tasks(TaskState.READY)
             if isinstance(t.task_spec, UserTaskSpec) and not is_held(t)}
    open_rows = _open_rows(session, live)
    for task_id, row in open_rows.items():
        if task_id not in ready:
            row.state = UserTaskState.CANCELLED.value
            row.completed_at = utcnow()
    still_open = [row for task_id, row in open_rows.items() if task_id in ready]
    if live.row.state != InstanceState.TERMINATED.value:
        for task_id, task in ready.items():
            if task_id not in open_rows:
                try:
                    row = _new_user_task(live, task_id, task)
                except AssignmentError as err:
                    err.task = task
                    live.fail(err, None)
                else:
                    session.add(row)
                    still_open.append(row)
    live.open_user_tasks = {row.id: row for row in still_open}
    remember_open_tasks(session, live.row.id, still_open)


def _new_user_task(live: LiveInstance, task_id: str, task) -> UserTask:
    spec = task.task_spec
    who = resolve_assignment(spec.assignment, task.data)
    row = UserTask(id=task_id, instance_id=live.row.id, activity_id=spec.bpmn_id, name=spec.bpmn_name,
                   assignee=who.assignee, due=who.due, follow_up=who.follow_up, priority=who.priority,
                   form_key=form_key(spec),
                   state=UserTaskState.OPEN.value, created_at=utcnow())
    row.candidates = ([TaskCandidate(kind="user", name=n) for n in who.candidate_users]
                      + [TaskCandidate(kind="group", name=n) for n in who.candidate_groups])
    return row


def form_key(spec) -> str | None:
    """camunda:formKey, else the Camunda 8 form (zeebe:formDefinition formKey or formId)."""
    key = getattr(getattr(spec, "form", None), "key", None)
    if key:
        return key
    form = (getattr(spec, "extensions", None) or {}).get("form", {})
    return form.get("key") or (f"form-id:{form['form_id']}" if form.get("form_id") else None)
