"""Who may read an instance (its variables, history, diagram and tasks), as one SQL condition.

Admins read everything. Anyone else reads an instance they started; one in which they have or had a user task
(assignee, completer, candidate user, or member of a candidate group; an open unassigned task naming no
candidates is open to everyone, who may then read its instance); and the instances of definitions (or the
instances) granted to them or their groups with READ. Everything else is answered as if it did not exist, so a
404 tells nobody that an instance is there.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, not_, or_, select, true
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from engine.errors import NotFound
from engine.identity.authorizations import ANY, Permission, ResourceType, granted_ids
from engine.identity.users import Actor
from engine.store.models import ProcessInstance, TaskCandidate, UserTask
from engine.store.states import UserTaskState


def _had_a_task(actor: Actor) -> ColumnElement:
    # Aliases: this condition is also nested in queries over user_tasks (the task list), which must not
    # correlate with it.
    task, candidate = aliased(UserTask), aliased(TaskCandidate)
    named = exists().where(candidate.task_id == task.id, or_(
        and_(candidate.kind == "user", candidate.name == actor.name),
        and_(candidate.kind == "group", candidate.name.in_(sorted(actor.groups)))))
    open_to_anyone = and_(task.state == UserTaskState.OPEN.value, task.assignee.is_(None),
                          not_(exists().where(candidate.task_id == task.id)))
    return exists().where(task.instance_id == ProcessInstance.id, or_(
        task.assignee == actor.name, task.completed_by == actor.name, named, open_to_anyone))


def readable_instances(session: Session, actor: Actor) -> ColumnElement:
    """A condition on ProcessInstance: true for the instances the actor may read."""
    if actor.is_admin:
        return true()
    keys = granted_ids(session, actor, ResourceType.PROCESS_DEFINITION, Permission.READ, Permission.READ_INSTANCE)
    ids = granted_ids(session, actor, ResourceType.PROCESS_INSTANCE, Permission.READ)
    if ANY in keys or ANY in ids:
        return true()
    return or_(ProcessInstance.started_by == actor.name, _had_a_task(actor),
               ProcessInstance.definition_key.in_(sorted(keys)), ProcessInstance.id.in_(sorted(ids)))


def may_read_instance(session: Session, actor: Actor, instance_id: str) -> bool:
    return bool(session.scalar(select(exists().where(ProcessInstance.id == instance_id,
                                                     readable_instances(session, actor)))))


def check_instance_readable(session: Session, actor: Actor, instance_id: str) -> None:
    """NotFound, worded as for a missing instance, unless the actor may read it."""
    if not may_read_instance(session, actor, instance_id):
        raise NotFound(f"process instance {instance_id} does not exist")


def check_task_readable(session: Session, actor: Actor, task_id: str) -> None:
    """NotFound, worded as for a missing task, unless the actor may read the task's instance."""
    of_task = select(UserTask.instance_id).where(UserTask.id == task_id).scalar_subquery()
    if not session.scalar(select(exists().where(ProcessInstance.id == of_task, readable_instances(session, actor)))):
        raise NotFound(f"task {task_id} does not exist")
