"""/engine-rest: history for Cockpit-like scripts (process instances in every state, activity instances,
variable instances), from Fuse's instance rows and audit trail. Only instances the caller may read appear.

Activity instances are paired from the audit trail (entered, then completed or cancelled). Variable instances
are each instance's current variables, one per name (Fuse keeps values, not a row per variable): their ids are
`<instance id>:<name>` and their createTime is the instance's start.
"""
from __future__ import annotations

from flask import request
from sqlalchemy import select

from api.auth import current_actor
from api.camunda7.blueprint import camunda_blueprint, invalid, not_found
from api.camunda7.openapi import camunda_operation
from api.camunda7.queries import date, flag, ids, paging, pattern, sorting, text, text_list
from api.camunda7.variables import format_date, typed_value
from api.extensions import db
from engine.definitions.catalog import get_definition
from engine.history.activity_runs import ActivityRun, activity_runs
from engine.history.reading import instance_history
from engine.identity.read_access import may_read_instance
from engine.instances.queries import HistoricFilter, historic_instances_where
from engine.instances.variable_types import declared_types
from engine.store.models import ProcessInstance, UserTask
from engine.store.paging import count_of, window
from engine.store.states import InstanceState

bp = camunda_blueprint("camunda7_history", __name__)
ARRAY = {"type": "array", "items": {"type": "object"}}
STATES = {InstanceState.ACTIVE.value: "ACTIVE", InstanceState.FAILED.value: "ACTIVE",
          InstanceState.SUSPENDED.value: "SUSPENDED", InstanceState.COMPLETED.value: "COMPLETED",
          InstanceState.TERMINATED.value: "EXTERNALLY_TERMINATED"}
BY_CAMUNDA_STATE = {"ACTIVE": [InstanceState.ACTIVE.value, InstanceState.FAILED.value],
                    "SUSPENDED": [InstanceState.SUSPENDED.value], "COMPLETED": [InstanceState.COMPLETED.value],
                    "EXTERNALLY_TERMINATED": [InstanceState.TERMINATED.value], "INTERNALLY_TERMINATED": []}
# Variable instances are read from each instance's variables: a query reads at most this many instances.
VARIABLE_SCAN_LIMIT = 10_000


def _millis(start, end) -> int | None:
    return None if start is None or end is None else int((end - start).total_seconds() * 1000)


def historic_instance_dto(row: ProcessInstance) -> dict:
    definition = get_definition(db.session, row.definition_id)
    return {"id": row.id, "rootProcessInstanceId": row.id, "superProcessInstanceId": None,
            "superCaseInstanceId": None, "caseInstanceId": None, "processDefinitionName": definition.name,
            "processDefinitionKey": row.definition_key, "processDefinitionVersion": definition.version,
            "processDefinitionId": row.definition_id, "businessKey": row.business_key,
            "startTime": format_date(row.created_at),
            "endTime": format_date(row.ended_at) if row.ended_at else None, "removalTime": None,
            "durationInMillis": _millis(row.created_at, row.ended_at), "startUserId": row.started_by,
            "startActivityId": None,
            "deleteReason": "terminated" if row.state == InstanceState.TERMINATED.value else None,
            "tenantId": None, "state": STATES[row.state]}


def _states() -> list[str] | None:
    name = text("state")
    if name is None:
        return None
    if name not in BY_CAMUNDA_STATE:
        raise invalid(f"Cannot set query parameter 'state' to value '{name}': one of {', '.join(BY_CAMUNDA_STATE)}")
    return BY_CAMUNDA_STATE[name]


def _instance_filter() -> HistoricFilter:
    instance_ids = ids("processInstanceIds", "processInstanceId")
    keys = ids("processDefinitionKeyIn", "processDefinitionKey")
    return HistoricFilter(
        ids=instance_ids, definition_id=text("processDefinitionId"), definition_keys=keys,
        business_key=text("processInstanceBusinessKey"), business_key_like=pattern("processInstanceBusinessKeyLike"),
        finished=flag("finished"), unfinished=flag("unfinished"), with_incidents=flag("withIncidents"),
        started_by=text("startedBy"), started_before=date("startedBefore"), started_after=date("startedAfter"),
        finished_before=date("finishedBefore"), finished_after=date("finishedAfter"), states=_states())


def _instances():
    sort_by, descending = sorting()
    return historic_instances_where(db.session, current_actor(), _instance_filter(), sort_by, descending)


@bp.get("/history/process-instance")
@camunda_operation("Process instances in every state the caller may read, by processInstanceId(s), "
                   "processDefinitionId, processDefinitionKey(In), processInstanceBusinessKey(Like), finished, "
                   "unfinished, withIncidents, startedBy, startedBefore/After, finishedBefore/After, state; paging "
                   "and sorting", response=ARRAY)
def list_historic_instances():
    first, most = paging()
    return [historic_instance_dto(row) for row in window(db.session, _instances(), first, most)]


@bp.get("/history/process-instance/count")
@camunda_operation("How many instances match the filters of GET /history/process-instance")
def count_historic_instances():
    return {"count": count_of(db.session, _instances())}


@bp.get("/history/process-instance/<id:instance_id>")
@camunda_operation("One process instance in any state", errors=(401, 404))
def get_historic_instance(instance_id):
    row = db.session.get(ProcessInstance, instance_id)
    if row is None or not may_read_instance(db.session, current_actor(), instance_id):
        raise not_found(f"Historic process instance with id {instance_id} does not exist")
    return historic_instance_dto(row)


def _readable_instances(instance_ids: list[str] | None) -> list[ProcessInstance]:
    """The readable instances a history query is about: those named, else every readable one (bounded)."""
    query = historic_instances_where(db.session, current_actor(), HistoricFilter(
        ids=instance_ids, definition_id=text("processDefinitionId"),
        definition_keys=[key] if (key := text("processDefinitionKey")) else None))
    return window(db.session, query, 0, VARIABLE_SCAN_LIMIT)


def _task_ids(row: ProcessInstance) -> dict[str, list[UserTask]]:
    tasks: dict[str, list[UserTask]] = {}
    for task in db.session.scalars(select(UserTask).where(UserTask.instance_id == row.id)
                                   .order_by(UserTask.created_at)):
        tasks.setdefault(task.activity_id, []).append(task)
    return tasks


def historic_activity_dto(row: ProcessInstance, run: ActivityRun, task: UserTask | None) -> dict:
    entered, ended = run.entered, run.ended
    data = entered.data or {}
    return {"id": run.id, "parentActivityInstanceId": row.id, "activityId": entered.activity_id,
            "activityName": entered.activity_name, "activityType": data.get("type"),
            "processDefinitionKey": row.definition_key, "processDefinitionId": row.definition_id,
            "processInstanceId": row.id, "rootProcessInstanceId": row.id, "executionId": row.id,
            "taskId": task.id if task else None, "calledProcessInstanceId": None, "calledCaseInstanceId": None,
            "assignee": task.assignee if task else None, "startTime": format_date(entered.at),
            "endTime": format_date(ended.at) if ended else None, "removalTime": None,
            "durationInMillis": _millis(entered.at, ended.at if ended else None), "canceled": run.canceled,
            "completeScope": bool(ended and data.get("type") == "endEvent" and not run.canceled),
            "tenantId": None}


def _activity_instances() -> list[dict]:
    instance_ids = ids("processInstanceIdIn", "processInstanceId")
    activity_id, finished, unfinished = text("activityId"), flag("finished"), flag("unfinished")
    found = []
    for row in _readable_instances(instance_ids or None):
        tasks = _task_ids(row)
        for run in activity_runs(instance_history(db.session, row.id)):
            if activity_id is not None and run.entered.activity_id != activity_id:
                continue
            if (finished and run.ended is None) or (unfinished and run.ended is not None):
                continue
            queue = tasks.get(run.entered.activity_id)
            found.append(historic_activity_dto(row, run, queue.pop(0) if queue else None))
    return _sorted(found, {"activityInstanceId": "id", "instanceId": "processInstanceId", "activityId": "activityId",
                           "activityName": "activityName", "activityType": "activityType",
                           "startTime": "startTime", "endTime": "endTime", "duration": "durationInMillis"})


def _sorted(found: list[dict], columns: dict[str, str]) -> list[dict]:
    sort_by, descending = sorting()
    if sort_by is None:
        return found
    if sort_by not in columns:
        raise invalid(f"cannot sort by {sort_by!r}: one of {', '.join(columns)}")
    key = columns[sort_by]
    present = [item for item in found if item[key] is not None]
    absent = [item for item in found if item[key] is None]
    return sorted(present, key=lambda item: item[key], reverse=descending) + absent


def _page(found: list[dict]) -> list[dict]:
    first, most = paging()
    return found[first:first + most] if most is not None else found[first:]


@bp.get("/history/activity-instance")
@camunda_operation("Each run of an activity, from the audit trail, by processInstanceId(In), activityId, "
                   "finished, unfinished; paging and sorting", response=ARRAY)
def list_historic_activities():
    return _page(_activity_instances())


@bp.get("/history/activity-instance/count")
@camunda_operation("How many activity runs match the filters of GET /history/activity-instance")
def count_historic_activities():
    return {"count": len(_activity_instances())}


def historic_variable_dto(row: ProcessInstance, name: str, value, declared: dict | None, deserialize: bool) -> dict:
    typed = typed_value(value, declared, deserialize)
    return {"id": f"{row.id}:{name}", "name": name, "type": typed["type"], "value": typed["value"],
            "valueInfo": typed["valueInfo"], "processDefinitionKey": row.definition_key,
            "processDefinitionId": row.definition_id, "processInstanceId": row.id, "executionId": row.id,
            "activityInstanceId": row.id, "rootProcessInstanceId": row.id, "caseDefinitionKey": None,
            "caseDefinitionId": None, "caseInstanceId": None, "caseExecutionId": None, "taskId": None,
            "tenantId": None, "errorMessage": None, "state": "CREATED", "createTime": format_date(row.created_at),
            "removalTime": None}


def _variable_instances() -> list[dict]:
    instance_ids = ids("processInstanceIdIn", "processInstanceId")
    name, name_like = text("variableName"), pattern("variableNameLike")
    names_in = text_list("variableNameIn")
    deserialize = request.args.get("deserializeValues", "true").lower() != "false"
    found = []
    for row in _readable_instances(instance_ids or None):
        declared = declared_types(row)
        for variable, value in (row.variables or {}).items():
            if name is not None and variable != name:
                continue
            if names_in is not None and variable not in names_in:
                continue
            if name_like is not None and not _like(variable, name_like):
                continue
            found.append(historic_variable_dto(row, variable, value, declared.get(variable), deserialize))
    return _sorted(found, {"instanceId": "processInstanceId", "variableName": "name"})


def _like(value: str, pattern: str) -> bool:
    """SQL LIKE (% any run, _ any one character) on a name, in time proportional to len(value) * len(pattern)
    (a regular expression of many % backtracks: a hostile pattern would hold a thread)."""
    matches = [True] + [False] * len(value)  # matches[j]: the pattern so far matches value[:j]
    for symbol in pattern:
        if symbol == "%":
            for j in range(1, len(value) + 1):
                matches[j] = matches[j] or matches[j - 1]
        else:
            matches = [False] + [matches[j - 1] and (symbol == "_" or symbol == value[j - 1])
                                 for j in range(1, len(value) + 1)]
    return matches[-1]


@bp.get("/history/variable-instance")
@camunda_operation("The variables of the instances the caller may read, one per name, by processInstanceId(In), "
                   "processDefinitionId, processDefinitionKey, variableName, variableNameIn, variableNameLike, "
                   "deserializeValues; paging and sorting", response=ARRAY)
def list_historic_variables():
    return _page(_variable_instances())


@bp.get("/history/variable-instance/count")
@camunda_operation("How many variable instances match the filters of GET /history/variable-instance")
def count_historic_variables():
    return {"count": len(_variable_instances())}
