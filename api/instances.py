"""Process instances: start, read, control, variables, history and diagram."""
from __future__ import annotations

from flask import Response, request

from api.auth import current_actor
from api.blueprints import api_blueprint, commit, committed, json_body
from api.docs import operation
from api.extensions import db
from api.schemas import (
    HistoryEventSchema, InstanceDiagramSchema, InstancePageSchema, InstanceQuerySchema, InstanceSchema,
    ReasonBodySchema, ReasonQuerySchema, StartInstanceSchema, VariablesSchema,
)
from engine.instances import commands as engine
from engine.reports.diagram import instance_bpmn, instance_diagram

bp = api_blueprint("instances", __name__)


def instance_response(row) -> dict:
    """An instance with its open tasks, as every instance-returning endpoint answers."""
    return InstanceSchema().dump(engine.view_instance(db.session, row))


@bp.post("/process-instances")
@operation("Start an instance; it runs to its first wait state before the answer",
           body=StartInstanceSchema, response=InstanceSchema, status=201, errors=(400, 401, 403, 404, 409, 422))
def start_instance():
    args = StartInstanceSchema().load(json_body())
    row = engine.start_instance(db.session, current_actor(), **args)
    return committed(instance_response(row)), 201


@bp.get("/process-instances")
@operation("List the instances the caller may read, newest first", query=InstanceQuerySchema, response=InstancePageSchema, errors=(400, 401))
def list_instances():
    query = InstanceQuerySchema().load(request.args)
    return InstancePageSchema().dump(engine.list_instances(db.session, current_actor(), **query))


@bp.get("/process-instances/<instance_id>")
@operation("One instance with its active activities and open tasks", response=InstanceSchema, errors=(401, 404))
def get_instance(instance_id):
    return instance_response(engine.get_instance(db.session, instance_id))


@bp.get("/process-instances/<instance_id>/variables")
@operation("The instance's variables", response=VariablesSchema, errors=(401, 404))
def get_variables(instance_id):
    return engine.get_instance(db.session, instance_id).variables


@bp.patch("/process-instances/<instance_id>/variables")
@operation("Merge a JSON object into the instance's variables", body=VariablesSchema,
           response=VariablesSchema, errors=(400, 401, 403, 404, 409))
def patch_variables(instance_id):
    row = engine.patch_variables(db.session, instance_id, current_actor(), json_body())
    commit()
    return row.variables


def _reason() -> str | None:
    """Why, from `?reason=` or a JSON body's "reason"."""
    in_query, in_body = ReasonQuerySchema().load(request.args), ReasonBodySchema().load(json_body())  # both checked
    return in_query.get("reason") or in_body.get("reason")


@bp.post("/process-instances/<instance_id>/suspend")
@operation("Suspend an active instance", query=ReasonQuerySchema, body=ReasonBodySchema, response=InstanceSchema,
           errors=(401, 403, 404, 409))
def suspend(instance_id):
    row = engine.suspend_instance(db.session, instance_id, current_actor(), _reason())
    return committed(instance_response(row))


@bp.post("/process-instances/<instance_id>/resume")
@operation("Resume a suspended instance", query=ReasonQuerySchema, body=ReasonBodySchema, response=InstanceSchema,
           errors=(401, 403, 404, 409))
def resume(instance_id):
    row = engine.resume_instance(db.session, instance_id, current_actor(), _reason())
    return committed(instance_response(row))


@bp.delete("/process-instances/<instance_id>")
@operation("Terminate an instance (it is kept, in state terminated)", query=ReasonQuerySchema, body=ReasonBodySchema,
           response=InstanceSchema, errors=(401, 403, 404, 409))
def terminate(instance_id):
    row = engine.terminate_instance(db.session, instance_id, current_actor(), _reason())
    return committed(instance_response(row))


@bp.get("/process-instances/<instance_id>/history")
@operation("Every step of the instance, oldest first", response=HistoryEventSchema(many=True), errors=(401, 404))
def history(instance_id):
    return HistoryEventSchema(many=True).dump(engine.history(db.session, instance_id))


@bp.get("/process-instances/<instance_id>/diagram")
@operation("The instance's BPMN with the state and counts of every activity (Accept: application/xml: "
           "the BPMN alone)", response=InstanceDiagramSchema, also={"application/xml": {"type": "string"}},
           errors=(401, 404))
def diagram(instance_id):
    if request.accept_mimetypes.best_match(["application/json", "application/xml"]) == "application/xml":
        return Response(instance_bpmn(db.session, instance_id), mimetype="application/xml")
    return InstanceDiagramSchema().dump(instance_diagram(db.session, instance_id))
