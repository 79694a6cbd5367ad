"""User tasks: who may see and work on them; claim, unclaim, assign and complete."""
from __future__ import annotations

from uuid import UUID

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.orm import Session, joinedload
from SpiffWorkflow.util.task import TaskState

from engine.runtime.async_boundaries import hold_successors
from engine.errors import Conflict, Forbidden, TaskNotOpen
from engine.instances.variable_types import remember_types
from engine.store.lookup import get_or_raise
from engine.tasks.step_up import check_step_up, task_step_up
from engine.tasks.user_task_rows import open_task_rows
from engine.identity.read_access import readable_instances
from engine.identity.users import Actor
from engine.runtime.live import LiveInstance, claim_unchanged, live_instance_of, lock_instance_where
from engine.runtime.saving import save_live_instance
from engine.store.models import ProcessInstance, TaskCandidate, UserTask, utcnow
from engine.store.paging import Page, page_of
from engine.definitions.sensitive_fields import with_form_fields
from engine.definitions.task_forms import check_task_submission, task_variables
from engine.store.states import InstanceState, UserTaskState
from engine.store.variable_values import check_variables


# Optimistic attempts at a completion before it locks the instance first (see complete_task).
OPTIMISTIC_TRIES = 3


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
    _check_instance_state(live, task_id, doing)
    return task, live


def _check_instance_state(live: LiveInstance, task_id: str, doing: str) -> None:
    if live.state == InstanceState.SUSPENDED:
        raise Conflict(f"cannot {doing} task {task_id}: its instance is suspended")
    if live.state != InstanceState.ACTIVE:
        raise Conflict(f"cannot {doing} task {task_id}: its instance is {live.state.value}")


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


def _read_unlocked(session: Session, task_id: str) -> tuple[UserTask, LiveInstance] | None:
    """The task's instance and its open tasks as they are now, read in one statement without the lock (see
    complete_task); None when the task is not among them (the locked path then says why)."""
    instance_of_task = select(UserTask.instance_id).where(UserTask.id == task_id).scalar_subquery()
    found = session.execute(
        select(UserTask, ProcessInstance).join(ProcessInstance, ProcessInstance.id == UserTask.instance_id)
        .where(UserTask.instance_id == instance_of_task, UserTask.state == UserTaskState.OPEN.value)
        .options(joinedload(UserTask.candidates)).execution_options(populate_existing=True)).unique().all()
    open_rows = {task.id: task for task, _ in found}
    if task_id not in open_rows:
        return None
    live = live_instance_of(session, found[0][1])
    live.open_user_tasks = open_rows
    _check_instance_state(live, task_id, "complete")
    return open_rows[task_id], live


def _forget_attempt(session: Session) -> None:
    """Drop what an optimistic attempt changed in memory (it wrote nothing): the next one reads afresh."""
    for new in list(session.new):
        session.expunge(new)
    session.expire_all()


def complete_task(session: Session, task_id: str, actor: Actor, variables: dict,
                  variable_types: dict | None = None) -> ProcessInstance:
    """Complete a task with the submitted variables and run the instance on to its next wait; `variable_types`
    are the types a client declared for them (engine.instances.variable_types).

    Optimistically: the instance is read and run without its lock, and written only if nobody changed it
    meanwhile (claim_unchanged, its first write), so that the write lock - on SQLite the whole database's - is
    held for the writing alone. Whoever changed the instance committed first, so the attempt is dropped and made
    again on the new state (a handler on the way may then run twice, as after any conflict); after
    OPTIMISTIC_TRIES the instance is locked first, so that a busy instance still makes progress. (On SQLite a
    lost claim has opened the write transaction all the same: the next try then runs under the write lock.)
    """
    for _ in range(OPTIMISTIC_TRIES):
        read = _read_unlocked(session, task_id)
        if read is None:
            break
        task, live = read
        with session.no_autoflush:  # nothing is written before the claim
            if _complete(session, task, live, actor, variables, variable_types, claimed=False):
                return live.row
        _forget_attempt(session)
    task, live = _open_for_work(session, task_id, "complete")
    _complete(session, task, live, actor, variables, variable_types, claimed=True)
    return live.row


def _claim(session: Session, live: LiveInstance, claimed: bool) -> bool:
    return claimed or claim_unchanged(session, live.row)


def _complete(session: Session, task: UserTask, live: LiveInstance, actor: Actor, variables: dict,
              variable_types: dict | None, claimed: bool) -> bool:
    """Complete `task` of `live` and save; False (nothing written) if the instance, read unlocked
    (claimed=False), changed before it could be claimed."""
    task_id = task.id
    if not may_work_on(actor, task):
        raise Forbidden(f"{actor.name} may not complete task {task_id}")
    spiff_task = live.workflow.get_task_from_id(UUID(task_id))
    if spiff_task.state != TaskState.READY:
        raise Conflict(f"task {task_id} is not waiting for completion")
    if task_step_up(session, task, live.row):
        # A refusal is committed to the history at once: the instance is claimed before that can happen.
        if not (claimed := _claim(session, live, claimed)):
            return False
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
    return save_live_instance(session, live, None if claimed else lambda: claim_unchanged(session, live.row))


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
