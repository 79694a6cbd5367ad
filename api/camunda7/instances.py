"""/engine-rest: process instances (list, count, read, delete, suspend, variables, activity instances).

As in Camunda's runtime API, only running instances exist here (active, suspended, or failed: a failed one is
an active instance waiting for repair); a completed or deleted instance answers 404 like an unknown id. DELETE
terminates the instance: Fuse keeps its row and history, which /api/v1 still shows.
"""
from __future__ import annotations

from flask import request

from api.auth import current_actor
from api.blueprints import commit
from api.camunda7.blueprint import camunda_blueprint, invalid, json_object, not_found
from api.camunda7.openapi import camunda_operation
from api.camunda7.queries import flag, paging, pattern, sorting, text, text_list
from api.camunda7.shapes import instance_dto
from api.camunda7.variables import (
    declared_value,
    declared_values,
    typed_instance_variables,
    typed_value,
)
from api.extensions import db
from engine.definitions.catalog import get_definition
from engine.instances import commands
from engine.instances.queries import running_instances_where
from engine.instances.variable_types import declared_types, remember_types
from engine.store.models import ProcessInstance
from engine.store.paging import count_of, window
from engine.store.states import InstanceState

bp = camunda_blueprint("camunda7_instances", __name__)
ARRAY = {"type": "array", "items": {"type": "object"}}
REASON = "deleted through /engine-rest"
VARIABLES_BODY = {"type": "object", "properties": {
    "modifications": {"type": "object", "description": "typed values by name"},
    "deletions": {"type": "array", "items": {"type": "string"}}}}


def started_dto(row: ProcessInstance, with_variables: bool) -> dict:
    """What a start answers: the instance, and with `with_variables` its variables as typed values."""
    body = instance_dto(row)
    if with_variables:
        body["variables"] = typed_instance_variables(row)
    return body


def _found():
    sort_by, descending = sorting()
    return running_instances_where(
        db.session, current_actor(), ids=text_list("processInstanceIds"),
        definition_key=text("processDefinitionKey"), definition_id=text("processDefinitionId"),
        business_key=text("businessKey"), business_key_like=pattern("businessKeyLike"), active=flag("active"),
        suspended=flag("suspended"), sort_by=sort_by, descending=descending)


@bp.get("/process-instance")
@camunda_operation("Running instances the caller may read, by processInstanceIds, processDefinitionKey, "
                   "processDefinitionId, businessKey, businessKeyLike, active, suspended; paging and sorting",
                   response=ARRAY)
def list_instances():
    first, most = paging()
    return [instance_dto(row) for row in window(db.session, _found(), first, most)]


@bp.get("/process-instance/count")
@camunda_operation("How many instances match the filters of GET /process-instance")
def count_instances():
    return {"count": count_of(db.session, _found())}


def _running(instance_id: str) -> ProcessInstance:
    row = db.session.get(ProcessInstance, instance_id)
    if row is None or InstanceState(row.state).is_ended:
        raise not_found(f"Process instance with id {instance_id} does not exist")
    return row


@bp.get("/process-instance/<id:instance_id>")
@camunda_operation("One running instance", errors=(401, 404))
def get_instance(instance_id):
    return instance_dto(_running(instance_id))


@bp.delete("/process-instance/<id:instance_id>")
@camunda_operation("Delete (terminate) a running instance; skipCustomListeners, skipIoMappings, "
                   "skipSubprocesses are accepted", status=204, errors=(401, 403, 404, 409))
def delete_instance(instance_id):
    _running(instance_id)
    commands.terminate_instance(db.session, instance_id, current_actor(), REASON)
    commit()
    return "", 204


@bp.put("/process-instance/<id:instance_id>/suspended")
@camunda_operation('Suspend or activate an instance: {"suspended": true|false}', status=204,
                   body={"type": "object", "properties": {"suspended": {"type": "boolean"}}},
                   errors=(400, 401, 403, 404, 409))
def set_suspended(instance_id):
    suspended = json_object().get("suspended")
    if not isinstance(suspended, bool):
        raise invalid("suspended must be true or false")
    row = _running(instance_id)
    if suspended and row.state != InstanceState.SUSPENDED.value:
        commands.suspend_instance(db.session, instance_id, current_actor())
    elif not suspended and row.state == InstanceState.SUSPENDED.value:
        commands.resume_instance(db.session, instance_id, current_actor())
    commit()
    return "", 204


def _deserialize() -> bool:
    return request.args.get("deserializeValues", "true").lower() != "false"


@bp.get("/process-instance/<id:instance_id>/variables")
@camunda_operation("The instance's variables as typed values, each in the type it was written with",
                   errors=(401, 404))
def get_variables(instance_id):
    return typed_instance_variables(_running(instance_id), _deserialize())


def _change(instance_id: str, values: dict, types: dict, deletions: list[str]) -> None:
    _running(instance_id)
    row = commands.patch_variables(db.session, instance_id, current_actor(), values, tuple(deletions))
    remember_types(row, types)
    commit()


@bp.post("/process-instance/<id:instance_id>/variables")
@camunda_operation("Set (modifications: typed values by name) and remove (deletions: names) variables at once",
                   status=204, body=VARIABLES_BODY, errors=(400, 401, 403, 404, 409))
def modify_variables(instance_id):
    body = json_object()
    values, types = declared_values(body.get("modifications"))
    deletions = body.get("deletions") or []
    if not isinstance(deletions, list) or not all(isinstance(name, str) for name in deletions):
        raise invalid("deletions must be a list of variable names")
    _change(instance_id, values, types, deletions)
    return "", 204


@bp.get("/process-instance/<id:instance_id>/variables/<name>")
@camunda_operation("One variable as a typed value", errors=(401, 404))
def get_variable(instance_id, name):
    row = _running(instance_id)
    variables = row.variables or {}
    if name not in variables:
        raise not_found(f"process instance variable with name {name} does not exist")
    return typed_value(variables[name], declared_types(row).get(name), _deserialize())


@bp.put("/process-instance/<id:instance_id>/variables/<name>")
@camunda_operation("Set one variable: {value, type, valueInfo}", status=204, errors=(400, 401, 403, 404, 409),
                   body={"type": "object", "properties": {"value": {}, "type": {"type": "string"},
                                                          "valueInfo": {"type": "object"}}})
def put_variable(instance_id, name):
    value, declared = declared_value(name, json_object())
    _change(instance_id, {name: value}, {name: declared}, [])
    return "", 204


@bp.delete("/process-instance/<id:instance_id>/variables/<name>")
@camunda_operation("Remove one variable", status=204, errors=(401, 403, 404, 409))
def delete_variable(instance_id, name):
    _change(instance_id, {}, {}, [name])
    return "", 204


def _child(row: ProcessInstance, activity: dict, seen: dict) -> dict:
    activity_id = activity["activity_id"]
    seen[activity_id] = seen.get(activity_id, 0) + 1
    suffix = f":{seen[activity_id]}" if seen[activity_id] > 1 else ""
    return {"id": f"{activity_id}:{row.id}{suffix}", "parentActivityInstanceId": row.id, "activityId": activity_id,
            "activityType": activity.get("type"), "processInstanceId": row.id,
            "processDefinitionId": row.definition_id, "childActivityInstances": [], "childTransitionInstances": [],
            "executionIds": [row.id], "activityName": activity.get("name"), "name": activity.get("name"),
            "incidentIds": [], "incidents": []}


@bp.get("/process-instance/<id:instance_id>/activity-instances")
@camunda_operation("The instance's activity instance tree: the process at the root, its waiting activities "
                   "below (activities inside sub-processes appear flat under the root)", errors=(401, 404))
def activity_instances(instance_id):
    row = _running(instance_id)
    seen: dict[str, int] = {}
    name = get_definition(db.session, row.definition_id).name or row.definition_key
    return {"id": row.id, "parentActivityInstanceId": None, "activityId": row.definition_id,
            "activityType": "processDefinition", "processInstanceId": row.id,
            "processDefinitionId": row.definition_id,
            "childActivityInstances": [_child(row, a, seen) for a in row.active_activities or []],
            "childTransitionInstances": [], "executionIds": [row.id], "activityName": name, "name": name,
            "incidentIds": [], "incidents": []}
