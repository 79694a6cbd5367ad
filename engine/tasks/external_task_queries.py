"""External tasks found by the filters of Camunda 7's external task query and sorted by a named column.

Every worker may see every external task (it could fetch any of them), so the query takes no caller."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select

from engine.definitions.queries import sorted_by
from engine.store.models import ExternalTask, ProcessInstance, utcnow
from engine.store.states import InstanceState

EXTERNAL_TASK_SORTS = {"id": ExternalTask.id, "lockExpirationTime": ExternalTask.lock_expires_at,
                       "processInstanceId": ExternalTask.instance_id, "createTime": ExternalTask.created_at,
                       "processDefinitionId": ProcessInstance.definition_id,
                       "processDefinitionKey": ProcessInstance.definition_key, "taskPriority": ExternalTask.id}


@dataclass(frozen=True)
class ExternalTaskFilter:
    """Camunda's external-task query parameters Fuse honours (None or False: not given)."""

    ids: list[str] | None = None
    topic: str | None = None
    worker_id: str | None = None
    locked: bool = False
    not_locked: bool = False
    with_retries_left: bool = False
    no_retries_left: bool = False
    lock_expiration_after: datetime | None = None
    lock_expiration_before: datetime | None = None
    activity_ids: list[str] | None = None
    instance_ids: list[str] | None = None
    definition_id: str | None = None
    active: bool = False
    suspended: bool = False
    priority_min: int | None = None  # every task has priority 0
    priority_max: int | None = None


def _lock_conditions(wanted: ExternalTaskFilter, now: datetime) -> list:
    held = and_(ExternalTask.worker_id.is_not(None), ExternalTask.lock_expires_at > now)
    conditions = []
    if wanted.locked:
        conditions.append(held)
    if wanted.not_locked:
        conditions.append(~held)
    if wanted.lock_expiration_after is not None:
        conditions.append(ExternalTask.lock_expires_at > wanted.lock_expiration_after)
    if wanted.lock_expiration_before is not None:
        conditions.append(ExternalTask.lock_expires_at < wanted.lock_expiration_before)
    return conditions


def _retry_conditions(wanted: ExternalTaskFilter) -> list:
    # A task nobody failed yet has no retries (null): it has its tries left, as in Camunda.
    left = or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0)
    return ([left] if wanted.with_retries_left else []) + ([~left] if wanted.no_retries_left else [])


def external_tasks_where(wanted: ExternalTaskFilter, sort_by: str | None = None, descending: bool = False) -> Select:
    query = select(ExternalTask).join(ProcessInstance, ProcessInstance.id == ExternalTask.instance_id)
    for column, values in ((ExternalTask.id, wanted.ids), (ExternalTask.activity_id, wanted.activity_ids),
                           (ExternalTask.instance_id, wanted.instance_ids)):
        if values is not None:
            query = query.where(column.in_(values))
    for column, value in ((ExternalTask.topic, wanted.topic), (ExternalTask.worker_id, wanted.worker_id),
                          (ProcessInstance.definition_id, wanted.definition_id)):
        if value is not None:
            query = query.where(column == value)
    if wanted.suspended:
        query = query.where(ProcessInstance.state == InstanceState.SUSPENDED.value)
    if wanted.active:
        query = query.where(ProcessInstance.state != InstanceState.SUSPENDED.value)
    if (wanted.priority_min is not None and wanted.priority_min > 0) or (
            wanted.priority_max is not None and wanted.priority_max < 0):
        query = query.where(ExternalTask.id.is_(None))  # no task has a priority other than 0
    query = query.where(*_lock_conditions(wanted, utcnow()), *_retry_conditions(wanted))
    return sorted_by(query, EXTERNAL_TASK_SORTS, sort_by, descending, ExternalTask.id)
