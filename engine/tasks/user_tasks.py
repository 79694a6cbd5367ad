"""User tasks: who may see and work on them; claim, unclaim, assign and complete."""
from __future__ import annotations

from uuid import UUID

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from engine.runtime.async_boundaries import hold_successors
from engine.errors import Conflict, Forbidden, TaskNotOpen
from engine.instances.variable_types import remember_types
from engine.store.lookup import get_or_raise
from engine.tasks.step_up import check_step_up
from engine.tasks.user_task_rows import open_task_rows
from engine.identity.read_access import readable_instances
from engine.identity.users import Actor
from engine.runtime.live import LiveInstance, live_instance_of, lock_instance_where
from engine.runtime.saving import save_live_instance
from engine.store.models import ProcessInstance, TaskCandidate, UserTask, utcnow
from engine.store.paging import Page, page_of
from engine.definitions.sensitive_fields import with_form_fields
from engine.definitions.task_forms import check_task_submission, task_variables
from engine.store.states import InstanceState, UserTaskState
from engine.store.variable_values import check_variables


def may_work_on(actor: Actor, task: UserTask) -> bool:
    """The assignee may; when unassigned, candidates may (and anyone, if the task names none)."""
    if task.assignee is not None:
        return task.assignee == actor.name
    users, groups = task.candidate_users, task.candidate_groups
    if not users and not groups:
        return True
    return actor.name in users or bool(actor.groups.intersection(groups))


def _candidate(kind: str, names) -> object:
    return exists().where(TaskCandidate.task_id == UserTask.id, TaskCandidate.kind == kind,
                          TaskCandidate.name.in_(list(names)))


def _workable_by(actor: Actor):
    """SQL for 'actor may work on this task' (the same rule as may_work_on)."""
    no_candidates = not_(exists().where(TaskCandidate.task_id == UserTask.id))
    return or_(UserTask.assignee == actor.name,
               and_(UserTask.assignee.is_(None),
                    or_(no_candidates, _candidate("user", [actor.name]), _candidate("group", actor.groups))))


def list_tasks(session: Session, actor: Actor, *, assignee: str | None = None,
               candidate_group: str | None = None, process_instance_id: str | None = None,
               state: str | None = None, overdue: bool = False, page: int = 1,
               per_page: int = 50) -> Page[UserTask]:
    """A page of tasks by filter, oldest first; with no filter at all, the open tasks the caller may work on.

    Only tasks of instances the caller may read are listed (and counted)."""
    readable = select(ProcessInstance.id).where(readable_instances(session, actor))
    query = select(UserTask).where(UserTask.state == UserTaskState(state or "open").value,
                                   UserTask.instance_id.in_(readable))
    if overdue:
        query = query.where(UserTask.due.is_not(None), UserTask.due < utcnow())
    if assignee:
        query = query.where(UserTask.assignee == assignee)
    if candidate_group:
        query = query.where(_candidate("group", [candidate_group]))
    if process_instance_id:
        query = query.where(UserTask.instance_id == process_instance_id)
    if not (assignee or candidate_group or process_instance_id):
        query = query.where(_workable_by(actor))
    return page_of(session, query.order_by(UserTask.created_at, UserTask.id), page, per_page)


def get_task(session: Session, task_id: str) -> UserTask:
    return get_or_raise(session, UserTask, task_id, "task")


def _open_for_work(session: Session, task_id: str, doing: str) -> tuple[UserTask, LiveInstance]:
    """Lock the task's instance, then read its open tasks (one statement each), and check the task can still
    be worked on."""
    row = lock_instance_where(session, select(UserTask.instance_id).where(UserTask.id == task_id)
                              .scalar_subquery(), f"task {task_id} does not exist")
    open_rows = open_task_rows(session, row.id)
    task = open_rows.get(task_id) or get_task(session, task_id)
    live = live_instance_of(session, row)
    live.open_user_tasks = open_rows
    if task.state != UserTaskState.OPEN.value:
        raise TaskNotOpen(f"cannot {doing} task {task_id}: it is {task.state}")
    if live.state == InstanceState.SUSPENDED:
        raise Conflict(f"cannot {doing} task {task_id}: its instance is suspended")
    if live.state != InstanceState.ACTIVE:
        raise Conflict(f"cannot {doing} task {task_id}: its instance is {live.state.value}")
    return task, live


def claim_task(session: Session, task_id: str, actor: Actor) -> UserTask:
    task, live = _open_for_work(session, task_id, "claim")
    if task.assignee == actor.name:
        return task
    if task.assignee is not None:
        raise Conflict(f"task {task_id} is already claimed by {task.assignee}")
    if not may_work_on(actor, task):
        raise Forbidden(f"{actor.name} is not a candidate for task {task_id}")
    task.assignee = actor.name
    live.history.record("task_claimed", activity_id=task.activity_id, activity_name=task.name,
                        actor=actor.name, data={"task_id": task.id})
    live.history.flush(session, live.row)
    return task


def unclaim_task(session: Session, task_id: str, actor: Actor) -> UserTask:
    task, live = _open_for_work(session, task_id, "unclaim")
    if task.assignee is None:
        return task
    if task.assignee != actor.name and not actor.is_admin:
        raise Forbidden(f"only {task.assignee} or an admin may unclaim task {task_id}")
    live.history.record("task_unclaimed", activity_id=task.activity_id, activity_name=task.name,
                        actor=actor.name, data={"task_id": task.id, "previous_assignee": task.assignee})
    task.assignee = None
    live.history.flush(session, live.row)
    return task


def assign_task(session: Session, task_id: str, actor: Actor, user: str) -> UserTask:
    """Hand a task to someone: its assignee may delegate it, an admin may assign any task."""
    task, live = _open_for_work(session, task_id, "assign")
    if not (actor.is_admin or (task.assignee is not None and task.assignee == actor.name)):
        raise Forbidden(f"{actor.name} may not assign task {task_id}: only its assignee or an admin may")
    live.history.record("task_assigned", activity_id=task.activity_id, activity_name=task.name,
                        actor=actor.name, data={"task_id": task.id, "previous_assignee": task.assignee,
                                                "assignee": user})
    task.assignee = user
    live.history.flush(session, live.row)
    return task


def complete_task(session: Session, task_id: str, actor: Actor, variables: dict,
                  variable_types: dict | None = None) -> ProcessInstance:
    """Complete a task with the submitted variables and run the instance on to its next wait; `variable_types`
    are the types a client declared for them (engine.instances.variable_types)."""
    task, live = _open_for_work(session, task_id, "complete")
    if not may_work_on(actor, task):
        raise Forbidden(f"{actor.name} may not complete task {task_id}")
    spiff_task = live.workflow.get_task_from_id(UUID(task_id))
    if spiff_task.state != TaskState.READY:
        raise Conflict(f"task {task_id} is not waiting for completion")
    check_step_up(session, task, live, actor)
    check_variables(variables)
    variables, form = check_task_submission(session, task, live.row, variables)
    live.history.sensitive = with_form_fields(live.history.sensitive, form)
    task.state = UserTaskState.COMPLETED.value
    task.assignee = task.assignee or actor.name
    task.completed_by, task.completed_at = actor.name, utcnow()
    live.history.record("task_completed", activity_id=task.activity_id, activity_name=task.name,
                        actor=actor.name, data={"task_id": task.id, "variables": variables})

    def submit():
        live.observer.actors[spiff_task.id] = actor.name
        spiff_task.data.update(variables)
        spiff_task.run()
        hold_successors(spiff_task)

    live.run(submit, actor=actor.name, person=actor)
    remember_types(live.row, variable_types or {})
    save_live_instance(session, live)
    return live.row


def variables_by_task(session: Session, tasks: list[UserTask]) -> dict[str, dict]:
    """The variables each task sees: its instance's, and an open task's own input parameters over them."""
    ids = {t.instance_id for t in tasks}
    if not ids:
        return {}
    rows = {row.id: row for row in session.execute(
        select(ProcessInstance.id, ProcessInstance.variables, ProcessInstance.workflow_state)
        .where(ProcessInstance.id.in_(ids)))}
    return {t.id: task_variables(t, rows[t.instance_id].variables, rows[t.instance_id].workflow_state)
            for t in tasks}
