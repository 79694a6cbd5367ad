"""Incidents: handlers that ran out of tries; retry them or resolve them with outputs."""
from __future__ import annotations

from flask import request

from api.auth import current_actor
from api.blueprints import api_blueprint, commit, json_body
from api.docs import operation
from api.extensions import db
from api.schemas import CompleteTaskSchema, IncidentQuerySchema, IncidentSchema
from engine.incidents import incidents as engine

bp = api_blueprint("incidents", __name__)


@bp.get("/incidents")
@operation("Incidents, by instance and state", query=IncidentQuerySchema, response=IncidentSchema(many=True),
           errors=(400, 401))
def list_incidents():
    query = IncidentQuerySchema().load(request.args)
    return IncidentSchema(many=True).dump(engine.list_incidents(db.session, **query))


@bp.post("/incidents/<incident_id>/retry")
@operation("Run the failed handler again now (admin)", response=IncidentSchema, errors=(401, 403, 404, 409))
def retry(incident_id):
    incident = engine.retry_incident(db.session, incident_id, current_actor())
    commit()
    return IncidentSchema().dump(incident)


@bp.post("/incidents/<incident_id>/resolve")
@operation("Skip the failed handler with the given outputs (admin)", body=CompleteTaskSchema,
           response=IncidentSchema, errors=(400, 401, 403, 404, 409))
def resolve(incident_id):
    variables = CompleteTaskSchema().load(json_body())["variables"]
    incident = engine.resolve_incident(db.session, incident_id, current_actor(), variables)
    commit()
    return IncidentSchema().dump(incident)
