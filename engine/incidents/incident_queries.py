"""Open incidents found by the filters of Camunda 7's incident query, and what kind of failure each is."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine.definitions.queries import sorted_by
from engine.definitions.task_forms import task_extensions
from engine.handlers.registry import find_handler
from engine.incidents.incidents import OPEN
from engine.runtime.service_calls import handler_name
from engine.store.models import Incident, ProcessInstance

FAILED_EXTERNAL_TASK, FAILED_JOB = "failedExternalTask", "failedJob"
INCIDENT_SORTS = {"incidentId": Incident.id, "incidentMessage": Incident.error, "incidentTimestamp": Incident.created_at,
                  "activityId": Incident.activity_id, "processInstanceId": Incident.instance_id,
                  "executionId": Incident.instance_id, "processDefinitionId": Incident.definition_id}


@dataclass(frozen=True)
class IncidentFilter:
    ids: list[str] | None = None
    incident_type: str | None = None
    message: str | None = None
    message_like: str | None = None
    instance_ids: list[str] | None = None
    definition_ids: list[str] | None = None
    definition_keys: list[str] | None = None
    activity_id: str | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None


def open_incidents_where(wanted: IncidentFilter, sort_by: str | None = None, descending: bool = False) -> Select:
    """Open incidents (Camunda's runtime incidents) matching every filter but the type (see incident_type)."""
    query = select(Incident).where(Incident.state == OPEN)
    for column, values in ((Incident.id, wanted.ids), (Incident.instance_id, wanted.instance_ids)):
        if values is not None:
            query = query.where(column.in_(values))
    if wanted.definition_ids is not None:
        of_instances = select(ProcessInstance.id).where(ProcessInstance.definition_id.in_(wanted.definition_ids))
        query = query.where((Incident.definition_id.in_(wanted.definition_ids))
                            | Incident.instance_id.in_(of_instances))
    if wanted.definition_keys is not None:
        of_instances = select(ProcessInstance.id).where(ProcessInstance.definition_key.in_(wanted.definition_keys))
        query = query.where(Incident.instance_id.in_(of_instances))
    for column, value in ((Incident.error, wanted.message), (Incident.activity_id, wanted.activity_id)):
        if value is not None:
            query = query.where(column == value)
    if wanted.message_like is not None:
        query = query.where(Incident.error.like(wanted.message_like))
    if wanted.created_before is not None:
        query = query.where(Incident.created_at < wanted.created_before)
    if wanted.created_after is not None:
        query = query.where(Incident.created_at > wanted.created_after)
    return sorted_by(query, INCIDENT_SORTS, sort_by, descending, Incident.id)


def incident_type(session: Session, incident: Incident) -> str:
    """failedExternalTask when the failed element waits for a worker outside Fuse, else failedJob (a handler
    or a timer start job that ran out of tries), as Camunda names them."""
    if incident.instance_id is None:
        return FAILED_JOB
    instance = session.get(ProcessInstance, incident.instance_id)
    _, extensions = task_extensions(session, instance, incident.activity_id or "")
    name, external_if_unknown = handler_name((extensions or {}).get("handler", {}))
    return FAILED_EXTERNAL_TASK if external_if_unknown and name and find_handler(name) is None else FAILED_JOB
