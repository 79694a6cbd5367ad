"""Open user tasks a caller may read, found by the filters of Camunda 7's task query and sorted by a named column.

Camunda's rules, kept here so that every client sees the same list: without filters, every open task the caller
may read; a candidate filter (candidateUser, candidateGroup) leaves out assigned tasks unless
includeAssignedTasks is set; candidateUser matches the user named as a candidate and the user's groups named
as candidate groups (the groups Fuse knows the user by).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from engine.definitions.queries import sorted_by
from engine.identity.read_access import readable_instances
from engine.identity.users import Actor
from engine.store.models import ProcessInstance, TaskCandidate, User, UserGroup, UserTask
from engine.store.states import InstanceState, UserTaskState

DEFAULT_PRIORITY = 50  # Camunda's priority of a task that names none
TASK_SORTS = {"id": UserTask.id, "name": UserTask.name, "nameCaseInsensitive": func.lower(UserTask.name),
              "created": UserTask.created_at, "dueDate": UserTask.due, "followUpDate": UserTask.follow_up,
              "priority": func.coalesce(UserTask.priority, DEFAULT_PRIORITY), "assignee": UserTask.assignee,
              "instanceId": UserTask.instance_id,
              "executionId": UserTask.instance_id}


@dataclass(frozen=True)
class TaskFilter:
    """Camunda's task-query parameters Fuse honours (None: not given)."""

    task_ids: list[str] | None = None
    instance_ids: list[str] | None = None
    business_key: str | None = None
    business_key_like: str | None = None
    definition_id: str | None = None
    definition_keys: list[str] | None = None
    activity_ids: list[str] | None = None
    name: str | None = None
    name_like: str | None = None
    assignee: str | None = None
    assignee_like: str | None = None
    candidate_user: str | None = None
    candidate_groups: list[str] | None = None
    include_assigned: bool = False
    assigned: bool = False
    unassigned: bool = False
    due_before: datetime | None = None
    due_after: datetime | None = None
    follow_up_before: datetime | None = None
    follow_up_after: datetime | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None
    min_priority: int | None = None
    max_priority: int | None = None
    with_candidate_groups: bool = False
    without_candidate_groups: bool = False
    with_candidate_users: bool = False
    without_candidate_users: bool = False
    active: bool = False
    suspended: bool = False


def _named(kind: str, names) -> object:
    return exists().where(TaskCandidate.task_id == UserTask.id, TaskCandidate.kind == kind,
                          TaskCandidate.name.in_(list(names)))


def _candidate_user(name: str) -> object:
    """The user is a candidate: by name, or through a group Fuse knows them in."""
    groups = select(UserGroup.group).join(User, User.id == UserGroup.user_id).where(User.name == name)
    group_named = exists().where(TaskCandidate.task_id == UserTask.id, TaskCandidate.kind == "group",
                                 TaskCandidate.name.in_(groups))
    return or_(_named("user", [name]), group_named)


def _instance_filters(wanted: TaskFilter) -> list:
    conditions = []
    if wanted.business_key is not None:
        conditions.append(ProcessInstance.business_key == wanted.business_key)
    if wanted.business_key_like is not None:
        conditions.append(ProcessInstance.business_key.like(wanted.business_key_like))
    if wanted.definition_id is not None:
        conditions.append(ProcessInstance.definition_id == wanted.definition_id)
    if wanted.definition_keys is not None:
        conditions.append(ProcessInstance.definition_key.in_(wanted.definition_keys))
    if wanted.suspended:
        conditions.append(ProcessInstance.state == InstanceState.SUSPENDED.value)
    if wanted.active:
        conditions.append(ProcessInstance.state != InstanceState.SUSPENDED.value)
    return conditions


def _range(column, before, after) -> list:
    return ([column < before] if before is not None else []) + ([column > after] if after is not None else [])


def _task_filters(wanted: TaskFilter) -> list:
    conditions = []
    for column, values in ((UserTask.id, wanted.task_ids), (UserTask.instance_id, wanted.instance_ids),
                           (UserTask.activity_id, wanted.activity_ids)):
        if values is not None:
            conditions.append(column.in_(values))
    for column, value, like in ((UserTask.name, wanted.name, wanted.name_like),
                                (UserTask.assignee, wanted.assignee, wanted.assignee_like)):
        if value is not None:
            conditions.append(column == value)
        if like is not None:
            conditions.append(column.like(like))
    conditions += _range(UserTask.due, wanted.due_before, wanted.due_after)
    conditions += _range(UserTask.follow_up, wanted.follow_up_before, wanted.follow_up_after)
    conditions += _range(UserTask.created_at, wanted.created_before, wanted.created_after)
    priority = func.coalesce(UserTask.priority, DEFAULT_PRIORITY)
    if wanted.min_priority is not None:
        conditions.append(priority >= wanted.min_priority)
    if wanted.max_priority is not None:
        conditions.append(priority <= wanted.max_priority)
    return conditions


def _assignment_filters(wanted: TaskFilter) -> list:
    conditions = []
    candidate = []
    if wanted.candidate_user is not None:
        candidate.append(_candidate_user(wanted.candidate_user))
    if wanted.candidate_groups is not None:
        candidate.append(_named("group", wanted.candidate_groups))
    if candidate:
        conditions.append(or_(*candidate) if len(candidate) > 1 else candidate[0])
        if not wanted.include_assigned:
            conditions.append(UserTask.assignee.is_(None))
    for kind, present, absent in (("group", wanted.with_candidate_groups, wanted.without_candidate_groups),
                                  ("user", wanted.with_candidate_users, wanted.without_candidate_users)):
        named = exists().where(TaskCandidate.task_id == UserTask.id, TaskCandidate.kind == kind)
        if present:
            conditions.append(named)
        if absent:
            conditions.append(not_(named))
    if wanted.assigned:
        conditions.append(UserTask.assignee.is_not(None))
    if wanted.unassigned:
        conditions.append(UserTask.assignee.is_(None))
    return conditions


def open_tasks_where(session: Session, actor: Actor, wanted: TaskFilter, sort_by: str | None = None,
                     descending: bool = False) -> Select:
    """Open tasks of instances the actor may read matching every filter, sorted by `sort_by` (TASK_SORTS)."""
    query = (select(UserTask).join(ProcessInstance, ProcessInstance.id == UserTask.instance_id)
             .where(UserTask.state == UserTaskState.OPEN.value, readable_instances(session, actor),
                    *_instance_filters(wanted), *_task_filters(wanted), *_assignment_filters(wanted)))
    return sorted_by(query, TASK_SORTS, sort_by, descending, UserTask.id)

