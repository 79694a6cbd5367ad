"""/engine-rest: process definitions (list, count, read by id or by key, XML, start, start form)."""
from __future__ import annotations

from flask import request

from api.auth import current_actor
from api.blueprints import committed
from api.camunda7.blueprint import camunda_blueprint, invalid, json_object, not_found
from api.camunda7.instances import started_dto
from api.camunda7.openapi import camunda_operation
from api.camunda7.queries import flag, integer, paging, pattern, sorting, text
from api.camunda7.shapes import definition_dto
from api.camunda7.variables import declared_values, typed_form_fields
from api.extensions import db
from engine.definitions import catalog
from engine.definitions.queries import definitions_where
from engine.definitions.task_forms import start_form, start_form_reference
from engine.errors import NotFound
from engine.instances import commands
from engine.store.paging import count_of, window

bp = camunda_blueprint("camunda7_definitions", __name__)
ARRAY = {"type": "array", "items": {"type": "object"}}
START_BODY = {"type": "object", "properties": {
    "variables": {"type": "object", "nullable": True, "description": "typed values by name: {value, type, valueInfo}"},
    "businessKey": {"type": "string", "nullable": True}, "withVariablesInReturn": {"type": "boolean"}}}


def _found():
    sort_by, descending = sorting()
    return definitions_where(id=text("processDefinitionId"), key=text("key"), key_like=pattern("keyLike"),
                             name=text("name"), name_like=pattern("nameLike"), version=integer("version"),
                             deployment_id=text("deploymentId"), latest=flag("latestVersion"),
                             version_tag=text("versionTag"), sort_by=sort_by, descending=descending)


@bp.get("/process-definition")
@camunda_operation("Process definitions by processDefinitionId, key, keyLike, name, nameLike, version, "
                   "latestVersion, deploymentId, versionTag; paging and sorting", response=ARRAY)
def list_definitions():
    first, most = paging()
    return [definition_dto(d) for d in window(db.session, _found(), first, most)]


@bp.get("/process-definition/count")
@camunda_operation("How many process definitions match the filters of GET /process-definition")
def count_definitions():
    return {"count": count_of(db.session, _found())}


def _by_id(definition_id: str):
    try:
        return catalog.get_definition(db.session, definition_id)
    except NotFound:
        raise not_found(f"No matching definition with id {definition_id}") from None


def _by_key(key: str):
    try:
        return catalog.latest_definition(db.session, key)
    except NotFound:
        raise not_found(f"No matching process definition with key: {key} and no tenant-id") from None


@bp.get("/process-definition/<id:definition_id>")
@camunda_operation("One process definition", errors=(401, 403, 404))
def get_definition(definition_id):
    return definition_dto(_by_id(definition_id))


@bp.get("/process-definition/key/<key>")
@camunda_operation("The newest version of a process definition key", errors=(401, 403, 404))
def get_definition_by_key(key):
    return definition_dto(_by_key(key))


def _xml(definition) -> dict:
    return {"id": definition.id, "bpmn20Xml": catalog.definition_xml(db.session, definition.id).decode("utf-8")}


@bp.get("/process-definition/<id:definition_id>/xml")
@camunda_operation("The BPMN XML a definition was deployed from: {id, bpmn20Xml}", errors=(401, 403, 404))
def get_xml(definition_id):
    return _xml(_by_id(definition_id))


@bp.get("/process-definition/key/<key>/xml")
@camunda_operation("The BPMN XML of the newest version of a key: {id, bpmn20Xml}", errors=(401, 403, 404))
def get_xml_by_key(key):
    return _xml(_by_key(key))


def _start(definition) -> dict:
    body = json_object()
    values, types = declared_values(body.get("variables"))
    business_key = body.get("businessKey")
    if business_key is not None and not isinstance(business_key, str):
        raise invalid("businessKey must be a string")
    if not isinstance(body.get("withVariablesInReturn", False), bool):
        raise invalid("withVariablesInReturn must be true or false")
    row = commands.start_instance(db.session, current_actor(), definition_id=definition.id,
                                  business_key=business_key, variables=values, variable_types=types)
    return committed(started_dto(row, with_variables=body.get("withVariablesInReturn") is True))


@bp.post("/process-definition/<id:definition_id>/start")
@camunda_operation("Start an instance: {variables, businessKey, withVariablesInReturn}; it runs to its first "
                   "wait state before the answer", body=START_BODY, errors=(400, 401, 403, 404, 409))
def start(definition_id):
    return _start(_by_id(definition_id))


@bp.post("/process-definition/key/<key>/start")
@camunda_operation("Start an instance of the newest version of a key", body=START_BODY,
                   errors=(400, 401, 403, 404, 409))
def start_by_key(key):
    return _start(_by_key(key))


def _start_form(definition) -> dict:
    reference = start_form_reference(db.session, definition.id)
    ref = ({"key": reference["ref"], "binding": reference["binding"] or "latest", "version": reference["version"]}
           if reference["ref"] else None)
    return {"key": reference["key"], "contextPath": None, "camundaFormRef": ref}


@bp.get("/process-definition/<id:definition_id>/startForm")
@camunda_operation("How the start event names its form: {key, contextPath, camundaFormRef}", errors=(401, 403, 404))
def get_start_form(definition_id):
    return _start_form(_by_id(definition_id))


@bp.get("/process-definition/key/<key>/startForm")
@camunda_operation("The start form reference of the newest version of a key", errors=(401, 403, 404))
def get_start_form_by_key(key):
    return _start_form(_by_key(key))


def _form_variables(definition) -> dict:
    """The start form's fields with their defaults as typed values ({} when there is no start form)."""
    try:
        view = start_form(db.session, definition.id)
    except NotFound:
        return {}
    return typed_form_fields(view.schema, view.data, request.args.get("variableNames"))


@bp.get("/process-definition/<id:definition_id>/form-variables")
@camunda_operation("The start form's fields with their default values, as typed variables",
                   errors=(400, 401, 403, 404))
def get_form_variables(definition_id):
    return _form_variables(_by_id(definition_id))


@bp.get("/process-definition/key/<key>/form-variables")
@camunda_operation("The start form variables of the newest version of a key", errors=(400, 401, 403, 404))
def get_form_variables_by_key(key):
    return _form_variables(_by_key(key))
