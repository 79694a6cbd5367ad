"""Running instances a caller may read, found by filters and sorted by a named column (Camunda 7's runtime
process-instance query: finished instances are history there, so they are left out here)."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine.definitions.queries import sorted_by
from engine.identity.read_access import readable_instances
from engine.identity.users import Actor
from engine.store.models import ProcessInstance
from engine.store.states import InstanceState

# A failed instance waits for repair: to Camunda clients it is an active instance with an incident.
RUNNING = (InstanceState.ACTIVE.value, InstanceState.SUSPENDED.value, InstanceState.FAILED.value)
ACTIVE = (InstanceState.ACTIVE.value, InstanceState.FAILED.value)
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
