"""/engine-rest: the engine's version and name, and deployments (create as Camunda Modeler sends it, list, count, read,
delete)."""
from __future__ import annotations

from flask import request

from api.auth import current_actor
from api.blueprints import commit
from api.camunda7.blueprint import camunda_blueprint, invalid
from api.camunda7.openapi import camunda_operation
from api.camunda7.parse_errors import parse_exception
from api.camunda7.queries import flag, paging, pattern, sorting, text
from api.camunda7.shapes import deployment_dto, deployment_with_definitions_dto
from api.extensions import db
from engine.definitions import catalog
from engine.definitions.queries import deployments_where
from engine.deployment import deploy as engine
from engine.deployment.removal import delete_deployment as engine_delete_deployment
from engine.errors import InvalidModel, MalformedXml
from engine.store.paging import count_of, window

bp = camunda_blueprint("camunda7_deployments", __name__)

# The Camunda 7 release whose REST API these routes follow.
CAMUNDA_VERSION = "7.22.0"
# Multipart fields of POST /deployment/create that are settings; every other part is a file.
SETTINGS = {"deployment-name", "deployment-source", "enable-duplicate-filtering", "deploy-changed-only",
            "tenant-id", "deployment-activation-time"}


@bp.get("/version")
@camunda_operation("The Camunda 7 version whose REST API is served", errors=(401,))
def version():
    return {"version": CAMUNDA_VERSION}


@bp.get("/engine")
@camunda_operation("The process engines served: one, named default", response={"type": "array", "items": {
    "type": "object"}}, errors=(401,))
def engines():
    return [{"name": "default"}]


def _deployed_files() -> dict[str, bytes]:
    """Every part that is not a setting, by its file name (or its part name when it has none)."""
    files = {(upload.filename or part): upload.read() for part, upload in request.files.items(multi=True)}
    files.update({part: value.encode() for part, value in request.form.items(multi=True) if part not in SETTINGS})
    if not files:
        raise invalid("No deployment resources contained in the form upload.")
    return files


@bp.post("/deployment/create")
@camunda_operation("Deploy BPMN (and form) files, as Camunda Modeler's Deploy button sends them",
                   multipart={"deployment-name": {"type": "string"}, "deployment-source": {"type": "string"},
                              "enable-duplicate-filtering": {"type": "boolean"},
                              "deploy-changed-only": {"type": "boolean"}, "tenant-id": {"type": "string"},
                              "<file name>": {"type": "string", "format": "binary",
                                    "description": "every other part: a file, named by its file name"}})
def create_deployment():
    if request.form.get("tenant-id"):
        raise invalid("tenants are not supported by Fuse: deploy without tenant-id")
    files = _deployed_files()
    try:
        result = engine.deploy(db.session, files, request.form.get("deployment-name"), current_actor().name,
                               source=request.form.get("deployment-source"))
    except (InvalidModel, MalformedXml) as err:
        raise parse_exception(err, sorted(files)) from None
    commit()
    return deployment_with_definitions_dto(result.deployment)


def _found():
    sort_by, descending = sorting()
    return deployments_where(id=text("id"), name=text("name"), name_like=pattern("nameLike"), source=text("source"),
                             sort_by=sort_by, descending=descending)


@bp.get("/deployment")
@camunda_operation("Deployments by id, name, nameLike, source; firstResult/maxResults, sortBy/sortOrder "
                   "(maxResults=0 is the Modeler's connection check)", response={"type": "array", "items": {"type": "object"}})
def list_deployments():
    first, most = paging()
    return [deployment_dto(d) for d in window(db.session, _found(), first, most)]


@bp.get("/deployment/count")
@camunda_operation("How many deployments match the filters of GET /deployment")
def count_deployments():
    return {"count": count_of(db.session, _found())}


@bp.get("/deployment/<id:deployment_id>")
@camunda_operation("One deployment", errors=(401, 403, 404))
def get_deployment(deployment_id):
    return deployment_dto(catalog.get_deployment(db.session, deployment_id))


@bp.delete("/deployment/<id:deployment_id>")
@camunda_operation("Delete a deployment; with cascade=true its instances (and their history) too, else 409 "
                   "while it has any", status=204, errors=(400, 401, 403, 404, 409))
def delete_deployment(deployment_id):
    engine_delete_deployment(db.session, deployment_id, current_actor().name, cascade=flag("cascade"))
    commit()
    return "", 204
