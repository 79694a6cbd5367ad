"""Running instances a caller may read, found by filters and sorted by a named column (Camunda 7's runtime
process-instance query: finished instances are history there, so they are left out here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from engine.definitions.queries import sorted_by
from engine.identity.read_access import readable_instances
from engine.identity.users import Actor
from engine.store.models import Incident, ProcessInstance
from engine.store.states import InstanceState

# A failed instance waits for repair: to Camunda clients it is an active instance with an incident.
RUNNING = (InstanceState.ACTIVE.value, InstanceState.SUSPENDED.value, InstanceState.FAILED.value)
ACTIVE = (InstanceState.ACTIVE.value, InstanceState.FAILED.value)
ENDED = (InstanceState.COMPLETED.value, InstanceState.TERMINATED.value)
INSTANCE_SORTS = {"instanceId": ProcessInstance.id, "definitionKey": ProcessInstance.definition_key,
                  "definitionId": ProcessInstance.definition_id, "businessKey": ProcessInstance.business_key}


def running_instances_where(session: Session, actor: Actor, *, ids: list[str] | None = None,
                            definition_key: str | None = None, definition_id: str | None = None,
                            business_key: str | None = None, business_key_like: str | None = None,
                            active: bool = False, suspended: bool = False, sort_by: str | None = None,
                            descending: bool = False) -> Select:
    """Running instances the actor may read that match every filter given (`active`, `suspended`: only those)."""
    query = select(ProcessInstance).where(readable_instances(session, actor), ProcessInstance.state.in_(RUNNING))
    if ids is not None:
        query = query.where(ProcessInstance.id.in_(ids))
    for column, value in ((ProcessInstance.definition_key, definition_key),
                          (ProcessInstance.definition_id, definition_id),
                          (ProcessInstance.business_key, business_key)):
        if value is not None:
            query = query.where(column == value)
    if business_key_like is not None:
        query = query.where(ProcessInstance.business_key.like(business_key_like))
    if active:
        query = query.where(ProcessInstance.state.in_(ACTIVE))
    if suspended:
        query = query.where(ProcessInstance.state == InstanceState.SUSPENDED.value)
    return sorted_by(query, INSTANCE_SORTS, sort_by, descending, ProcessInstance.created_at)


@dataclass(frozen=True)
class HistoricFilter:
    """Camunda's historic process instance query parameters Fuse honours (None or False: not given)."""

    ids: list[str] | None = None
    definition_id: str | None = None
    definition_keys: list[str] | None = None
    business_key: str | None = None
    business_key_like: str | None = None
    finished: bool = False
    unfinished: bool = False
    with_incidents: bool = False
    started_by: str | None = None
    started_before: datetime | None = None
    started_after: datetime | None = None
    finished_before: datetime | None = None
    finished_after: datetime | None = None
    states: list[str] | None = None  # Fuse's states


HISTORIC_SORTS = {**INSTANCE_SORTS, "startTime": ProcessInstance.created_at, "endTime": ProcessInstance.ended_at,
                  "duration": ProcessInstance.ended_at - ProcessInstance.created_at}


def historic_instances_where(session: Session, actor: Actor, wanted: HistoricFilter, sort_by: str | None = None,
                             descending: bool = False) -> Select:
    """Instances in every state the actor may read, matching every filter (Camunda's history: finished ones too)."""
    query = select(ProcessInstance).where(readable_instances(session, actor))
    if wanted.ids is not None:
        query = query.where(ProcessInstance.id.in_(wanted.ids))
    if wanted.definition_keys is not None:
        query = query.where(ProcessInstance.definition_key.in_(wanted.definition_keys))
    for column, value in ((ProcessInstance.definition_id, wanted.definition_id),
                          (ProcessInstance.business_key, wanted.business_key),
                          (ProcessInstance.started_by, wanted.started_by)):
        if value is not None:
            query = query.where(column == value)
    if wanted.business_key_like is not None:
        query = query.where(ProcessInstance.business_key.like(wanted.business_key_like))
    ended = ProcessInstance.state.in_(ENDED)
    if wanted.finished:
        query = query.where(ended)
    if wanted.unfinished:
        query = query.where(~ended)
    if wanted.with_incidents:
        query = query.where(or_(ProcessInstance.state == InstanceState.FAILED.value, exists().where(
            Incident.instance_id == ProcessInstance.id, Incident.state == "open")))  # engine.incidents OPEN
    for column, before, after in ((ProcessInstance.created_at, wanted.started_before, wanted.started_after),
                                  (ProcessInstance.ended_at, wanted.finished_before, wanted.finished_after)):
        if before is not None:
            query = query.where(column < before)
        if after is not None:
            query = query.where(column > after)
    if wanted.states is not None:
        query = query.where(ProcessInstance.state.in_(wanted.states))
    return sorted_by(query, HISTORIC_SORTS, sort_by, descending, ProcessInstance.created_at)
