"""Deployments and process definitions."""
from __future__ import annotations

from flask import Response, request

from api.auth import current_actor
from api.blueprints import api_blueprint, commit, require_admin
from api.docs import operation
from api.extensions import db
from api.schemas import (
    DefinitionQuerySchema, DefinitionSchema, DeployFormSchema, DeploymentSchema, DeployUploadSchema, FormViewSchema,
    ProblemItemSchema, UploadSchema, ValidationReportSchema,
)
from engine.definitions import catalog
from engine.deployment import deploy as engine
from engine.definitions.task_forms import start_form
from engine.identity.start_rights import startable

bp = api_blueprint("deployments", __name__)


@bp.post("/deployments")
@operation("Deploy BPMN (and form) files: 201 with a new deployment, or 200 with the existing one for identical "
           "content", response=DeploymentSchema, status=(201, 200), errors=(400, 401, 403, 409, 413, 422, 503),
           multipart=DeployUploadSchema)
def create_deployment():
    actor = current_actor()
    require_admin(actor, "deploy")
    form = DeployFormSchema().load(request.form)
    result = engine.deploy(db.session, uploaded_files(), form.get("name"), actor.name,
                           form["allow_non_executable"])
    commit()
    body = {**DeploymentSchema().dump(result.deployment),
            "warnings": ProblemItemSchema(many=True).dump(result.warnings)}
    return body, 201 if result.created else 200


@bp.post("/validate")
@operation("Check files as a deployment would, without deploying", response=ValidationReportSchema,
           errors=(400, 401, 413, 422, 503), multipart=UploadSchema)
def validate():
    return ValidationReportSchema().dump(engine.validate_files(uploaded_files()))


def uploaded_files() -> dict[str, bytes]:
    """The multipart `file` parts by file name."""
    return {f.filename or "unnamed": f.read() for f in request.files.getlist("file")}


@bp.get("/deployments")
@operation("List deployments, newest first", response=DeploymentSchema(many=True))
def list_deployments():
    return DeploymentSchema(many=True).dump(catalog.list_deployments(db.session))


@bp.get("/deployments/<deployment_id>")
@operation("One deployment", response=DeploymentSchema, errors=(401, 404))
def get_deployment(deployment_id):
    return DeploymentSchema().dump(catalog.get_deployment(db.session, deployment_id))


@bp.get("/process-definitions")
@operation("List process definitions, optionally by key, only the latest versions, only those the caller may start",
           response=DefinitionSchema(many=True), query=DefinitionQuerySchema, errors=(400, 401))
def list_definitions():
    query = DefinitionQuerySchema().load(request.args)
    only_startable = query.pop("startable")
    found = catalog.list_definitions(db.session, **query)
    if only_startable:
        found = startable(db.session, current_actor(), found)
    return DefinitionSchema(many=True).dump(found)


@bp.get("/process-definitions/<definition_id>")
@operation("One process definition", response=DefinitionSchema, errors=(401, 404))
def get_definition(definition_id):
    return DefinitionSchema().dump(catalog.get_definition(db.session, definition_id))


@bp.get("/process-definitions/<definition_id>/start-form")
@operation("The form of the process's start event, if it has one", response=FormViewSchema, errors=(401, 404, 422))
def get_start_form(definition_id):
    return FormViewSchema().dump(start_form(db.session, definition_id))


@bp.get("/process-definitions/<definition_id>/xml")
@operation("The BPMN XML the definition was deployed from", content="application/xml",
           response={"type": "string"}, errors=(401, 404))
def get_definition_xml(definition_id):
    return Response(catalog.definition_xml(db.session, definition_id), mimetype="application/xml")
