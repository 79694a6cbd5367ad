"""/engine-rest: open incidents (GET /incident, /incident/count, /incident/{id}), for admins as under /api/v1.

Each Fuse incident is one Camunda incident: its own cause and root cause, of type failedExternalTask (a worker
reported failure with no retries left) or failedJob (a handler, or a timer start job, ran out of tries).
Retrying and resolving: /api/v1/incidents/{id}/retry and /resolve, or PUT /external-task/{id}/retries here.
"""
from __future__ import annotations

from api.camunda7.blueprint import camunda_blueprint, not_found
from api.camunda7.openapi import camunda_operation
from api.camunda7.queries import date, ids, paging, pattern, sorting, text, text_list
from api.camunda7.variables import format_date
from api.extensions import db
from engine.incidents.incident_queries import IncidentFilter, incident_type, open_incidents_where
from engine.incidents.incidents import OPEN
from engine.store.models import Incident, ProcessInstance
from engine.store.paging import count_of, window

bp = camunda_blueprint("camunda7_incidents", __name__)
ARRAY = {"type": "array", "items": {"type": "object"}}
TYPE_FILTER_LIMIT = 10_000


def incident_dto(incident: Incident, kind: str) -> dict:
    definition_id = incident.definition_id  # set for a definition's incident (no instance)
    if definition_id is None and incident.instance_id is not None:
        definition_id = db.session.get(ProcessInstance, incident.instance_id).definition_id
    return {"id": incident.id, "processDefinitionId": definition_id, "processInstanceId": incident.instance_id,
            "executionId": incident.instance_id, "incidentTimestamp": format_date(incident.created_at),
            "incidentType": kind, "activityId": incident.activity_id, "failedActivityId": incident.activity_id,
            "causeIncidentId": incident.id, "rootCauseIncidentId": incident.id, "configuration": incident.task_id,
            "tenantId": None, "incidentMessage": incident.error, "jobDefinitionId": None, "annotation": None}


def _filter() -> IncidentFilter:
    definitions = ids("processDefinitionIdIn", "processDefinitionId")
    instances = [*(ids("processInstanceIdIn", "processInstanceId") or []), *filter(None, [text("executionId")])]
    return IncidentFilter(ids=[i for i in [text("incidentId")] if i] or None, message=text("incidentMessage"),
                          message_like=pattern("incidentMessageLike"), instance_ids=instances or None,
                          definition_ids=definitions or None, definition_keys=text_list("processDefinitionKeyIn"),
                          activity_id=text("activityId") or text("failedActivityId"),
                          created_before=date("incidentTimestampBefore"),
                          created_after=date("incidentTimestampAfter"))


def _query():
    sort_by, descending = sorting()
    return open_incidents_where(_filter(), sort_by, descending)


def _of_type(kind: str) -> list[tuple[Incident, str]]:
    # A type is read from the model, not stored: filtered here, over at most TYPE_FILTER_LIMIT incidents.
    rows = window(db.session, _query(), 0, TYPE_FILTER_LIMIT)
    return [(row, kind) for row in rows if incident_type(db.session, row) == kind]


@bp.get("/incident")
@camunda_operation("Open incidents, by incidentId, incidentType, incidentMessage(Like), processInstanceId(In), "
                   "executionId, processDefinitionId(In), processDefinitionKeyIn, activityId, failedActivityId, "
                   "incidentTimestampBefore/After; paging and sorting (admin)", response=ARRAY)
def list_incidents():
    first, most = paging()
    if (kind := text("incidentType")) is not None:
        typed = _of_type(kind)[first:]
        return [incident_dto(row, found) for row, found in (typed[:most] if most is not None else typed)]
    return [incident_dto(row, incident_type(db.session, row)) for row in window(db.session, _query(), first, most)]


@bp.get("/incident/count")
@camunda_operation("How many open incidents match the filters of GET /incident (admin)")
def count_incidents():
    if (kind := text("incidentType")) is not None:
        return {"count": len(_of_type(kind))}
    return {"count": count_of(db.session, _query())}


@bp.get("/incident/<id:incident_id>")
@camunda_operation("One open incident (admin)", errors=(401, 403, 404))
def get_incident(incident_id):
    incident = db.session.get(Incident, incident_id)
    if incident is None or incident.state != OPEN:
        raise not_found(f"Incident with id {incident_id} does not exist")
    return incident_dto(incident, incident_type(db.session, incident))
