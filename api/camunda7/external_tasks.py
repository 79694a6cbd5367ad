"""/engine-rest: external tasks for Camunda 7's workers (fetchAndLock with long polling, complete, failure,
bpmnError, extendLock, unlock, retries, query).

Long polling: a fetch that finds nothing waits up to asyncResponseTimeout (at most FUSE_LONG_POLL_MAX_S) for a
task of its topics and answers as soon as one is locked for it. While it waits it holds no database connection
(the request's session is closed; engine/tasks/external_task_wakeups.py says what wakes it). At most
FUSE_LONG_POLL_MAX_WAITING requests wait at once (default: half of `fuse serve --threads`): beyond that a fetch
answers at once with what there is, so waiting workers never take the threads other requests need.

The lock holder is the workerId and the user it authenticated as, as under /api/v1; acting on a task one does
not hold is Camunda's 400 BadUserRequestException.
"""
from __future__ import annotations

import os
import threading
import time

from flask import current_app

from api.auth import current_actor
from api.blueprints import commit
from api.camunda7.blueprint import camunda_blueprint, json_object, link, not_found
from api.camunda7.errors import camunda_error
from api.camunda7.openapi import camunda_operation
from api.camunda7.queries import date, flag, ids, integer, paging, sorting, text
from api.camunda7.variables import declared_values, format_date, typed_value
from api.extensions import db
from engine.errors import NotLockHolder
from engine.instances.variable_types import declared_types, remember_types
from engine.store.models import ExternalTask, ProcessInstance
from engine.store.paging import count_of, window
from engine.store.states import InstanceState
from engine.tasks import external_tasks as engine
from engine.tasks.external_task_queries import ExternalTaskFilter, external_tasks_where
from engine.tasks.external_task_wakeups import WAKEUPS, listen_for_other_processes, recheck_after

bp = camunda_blueprint("camunda7_external_tasks", __name__)
ARRAY = {"type": "array", "items": {"type": "object"}}
TEXT = {"type": "string", "nullable": True}
NAMES = {"type": "array", "items": {"type": "string"}, "nullable": True}
TYPED = {"type": "object", "nullable": True, "description": "typed values by name: {value, type, valueInfo}"}
DAY_MS = 86_400_000
WORKER = {"type": "string", "minLength": 1, "maxLength": 200}
TOPIC = {"type": "object", "required": ["topicName", "lockDuration"], "properties": {
    "topicName": {"type": "string", "minLength": 1, "maxLength": 200},
    "lockDuration": {"type": "integer", "minimum": 1, "maximum": DAY_MS}, "variables": NAMES,
    "localVariables": {"type": "boolean"}, "businessKey": TEXT, "processDefinitionId": TEXT,
    "processDefinitionIdIn": NAMES, "processDefinitionKey": TEXT, "processDefinitionKeyIn": NAMES,
    "processDefinitionVersionTag": TEXT, "withoutTenantId": {"type": "boolean"}, "tenantIdIn": NAMES,
    "processVariables": {"type": "object", "nullable": True, "description": "plain values the instance's "
                         "variables must have"},
    "deserializeValues": {"type": "boolean"}, "includeExtensionProperties": {"type": "boolean"}}}
FETCH_BODY = {"type": "object", "required": ["workerId", "maxTasks", "topics"], "properties": {
    "workerId": WORKER, "maxTasks": {"type": "integer", "minimum": 0, "maximum": 100},
    "usePriority": {"type": "boolean"}, "asyncResponseTimeout": {"type": "integer", "minimum": 0,
                                                                 "nullable": True},
    "topics": {"type": "array", "items": TOPIC, "maxItems": 100},
    "sorting": {"type": "array", "items": {"type": "object"}, "nullable": True}}}
COMPLETE_BODY = {"type": "object", "required": ["workerId"], "properties": {
    "workerId": WORKER, "variables": TYPED, "localVariables": TYPED}}
FAILURE_BODY = {"type": "object", "required": ["workerId"], "properties": {
    "workerId": WORKER, "errorMessage": TEXT, "errorDetails": TEXT,
    "retries": {"type": "integer", "minimum": 0, "maximum": 1_000_000, "nullable": True},
    "retryTimeout": {"type": "integer", "minimum": 0, "maximum": 30 * DAY_MS, "nullable": True},
    "variables": TYPED, "localVariables": TYPED}}
BPMN_ERROR_BODY = {"type": "object", "required": ["workerId", "errorCode"], "properties": {
    "workerId": WORKER, "errorCode": {"type": "string", "minLength": 1}, "errorMessage": TEXT, "variables": TYPED}}
EXTEND_BODY = {"type": "object", "required": ["workerId", "newDuration"], "properties": {
    "workerId": WORKER, "newDuration": {"type": "integer", "minimum": 1, "maximum": DAY_MS}}}
RETRIES_BODY = {"type": "object", "required": ["retries"], "properties": {
    "retries": {"type": "integer", "minimum": 0, "maximum": 1_000_000}}}
DEFAULT_MAX_WAIT_S = 60


class WaitingSlots:
    """How many fetches may wait at once; a fetch that gets no slot answers at once."""

    def __init__(self):
        self._lock = threading.Lock()
        self.waiting = 0

    def take(self, limit: int) -> bool:
        with self._lock:
            if self.waiting >= limit:
                return False
            self.waiting += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.waiting -= 1


SLOTS = WaitingSlots()


def _setting(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default)))
    except ValueError:
        return default


def max_wait_s() -> float:
    return _setting("FUSE_LONG_POLL_MAX_S", DEFAULT_MAX_WAIT_S)


def max_waiting() -> int:
    return _setting("FUSE_LONG_POLL_MAX_WAITING", max(1, current_app.config.get("SERVE_THREADS", 8) // 2))


def _holder(body: dict) -> tuple[str, str]:
    return body["workerId"], current_actor().name


def _topic(topic: dict) -> dict:
    definition_ids = [*(topic.get("processDefinitionIdIn") or []), *filter(None, [topic.get("processDefinitionId")])]
    keys = [*(topic.get("processDefinitionKeyIn") or []), *filter(None, [topic.get("processDefinitionKey")])]
    return {"name": topic["topicName"], "lock_duration_ms": topic["lockDuration"],
            "business_key": topic.get("businessKey"), "definition_ids": definition_ids or None,
            "definition_keys": keys or None,
            "variables_equal": topic.get("processVariables") or None}


def _locked_dto(task: engine.LockedTask, row: ExternalTask, topic: dict | None) -> dict:
    instance = db.session.get(ProcessInstance, task.instance_id)
    names = (topic or {}).get("variables")
    variables = task.variables if names is None else {n: v for n, v in task.variables.items() if n in names}
    declared = declared_types(instance)
    deserialize = (topic or {}).get("deserializeValues") is not False
    return {"activityId": task.activity_id, "activityInstanceId": f"{task.activity_id}:{task.id}",
            "errorMessage": row.error_message, "errorDetails": row.error_details, "executionId": task.instance_id,
            "id": task.id, "lockExpirationTime": format_date(task.lock_expires_at),
            "createTime": format_date(row.created_at), "processDefinitionId": instance.definition_id,
            "processDefinitionKey": instance.definition_key, "processDefinitionVersionTag": None,
            "processInstanceId": task.instance_id, "retries": task.retries, "workerId": row.worker_id,
            "topicName": task.topic, "tenantId": None, "priority": 0, "businessKey": task.business_key,
            "extensionProperties": {},
            "variables": {name: typed_value(value, declared.get(name), deserialize)
                          for name, value in variables.items()}}


def _fetch(body: dict) -> list[dict]:
    worker_id, user = _holder(body)
    topics = body.get("topics") or []
    if body["maxTasks"] == 0 or not topics:
        return []
    locked = engine.fetch_and_lock(db.session, worker_id, body["maxTasks"], [_topic(t) for t in topics], user)
    by_name = {t["topicName"]: t for t in topics}
    return [_locked_dto(task, db.session.get(ExternalTask, task.id), by_name.get(task.topic)) for task in locked]


@bp.post("/external-task/fetchAndLock")
@camunda_operation("Lock up to maxTasks tasks of the topics for workerId; with asyncResponseTimeout (ms), wait "
                   "for one when there is none (long polling, at most FUSE_LONG_POLL_MAX_S)", response=ARRAY,
                   body=FETCH_BODY, errors=(400, 401, 403))
def fetch_and_lock():
    body = json_object()
    found = _fetch(body)
    timeout_s = min((body.get("asyncResponseTimeout") or 0) / 1000, max_wait_s())
    if found or timeout_s <= 0 or body["maxTasks"] == 0:
        return found
    if not SLOTS.take(max_waiting()):
        return found  # every slot is taken: answer now rather than hold one more thread
    try:
        return _long_poll(body, time.monotonic() + timeout_s)
    finally:
        SLOTS.give_back()


def _long_poll(body: dict, deadline: float) -> list[dict]:
    dialect = db.engine.dialect.name
    listen_for_other_processes(db.engine)
    attempt = 0
    while True:
        seen = WAKEUPS.generation
        db.session.close()  # no connection is held while waiting
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return []
        WAKEUPS.wait(seen, min(remaining, recheck_after(attempt, dialect)))
        attempt += 1
        if found := _fetch(body):
            return found


def _row(task_id: str) -> ExternalTask:
    row = db.session.get(ExternalTask, task_id)
    if row is None:
        raise not_found(f"External task with id {task_id} does not exist")
    return row


@bp.errorhandler(NotLockHolder)
def _worker_refused(err: NotLockHolder):
    """Acting on a task one does not hold: Camunda's 400 (/api/v1 answers 409 for the same engine error)."""
    return camunda_error(400, "BadUserRequestException", err.detail)


@bp.post("/external-task/<id:task_id>/complete")
@camunda_operation("Complete a task locked by workerId with typed variables (local ones are set on the "
                   "instance: no local scopes)", status=204, body=COMPLETE_BODY, errors=(400, 401, 403, 404))
def complete(task_id):
    body = json_object()
    values, types = declared_values(body.get("variables"))
    local_values, local_types = declared_values(body.get("localVariables"))
    _row(task_id)
    worker_id, user = _holder(body)
    row = engine.complete_external_task(db.session, task_id, worker_id, {**values, **local_values}, user)
    remember_types(row, {**types, **local_types})
    commit()
    return "", 204


@bp.post("/external-task/<id:task_id>/failure")
@camunda_operation("Report a failure: with retries left, the task is fetchable again after retryTimeout (ms); "
                   "retries 0 opens an incident", status=204, body=FAILURE_BODY, errors=(400, 401, 403, 404))
def failure(task_id):
    body = json_object()
    _row(task_id)
    worker_id, user = _holder(body)
    engine.fail_external_task(db.session, task_id, worker_id, body.get("errorMessage") or "failed",
                              body.get("retries") or 0, body.get("retryTimeout") or 0, user,
                              error_details=body.get("errorDetails"))
    commit()
    return "", 204


@bp.post("/external-task/<id:task_id>/bpmnError")
@camunda_operation("Throw a BPMN error (errorCode) from a locked task, to the error boundary event or event "
                   "sub-process that catches it", status=204, body=BPMN_ERROR_BODY, errors=(400, 401, 403, 404))
def bpmn_error(task_id):
    body = json_object()
    values, types = declared_values(body.get("variables"))
    _row(task_id)
    worker_id, user = _holder(body)
    row = engine.bpmn_error_external_task(db.session, task_id, worker_id, body["errorCode"],
                                          body.get("errorMessage") or "", values, user)
    remember_types(row, types)
    commit()
    return "", 204


@bp.post("/external-task/<id:task_id>/extendLock")
@camunda_operation("Keep a task locked newDuration ms from now (its holder only)", status=204, body=EXTEND_BODY,
                   errors=(400, 401, 403, 404))
def extend_lock(task_id):
    body = json_object()
    _row(task_id)
    worker_id, user = _holder(body)
    engine.extend_lock(db.session, task_id, worker_id, body["newDuration"], user)
    commit()
    return "", 204


@bp.post("/external-task/<id:task_id>/unlock")
@camunda_operation("Free a locked task, whoever holds it (admin)", status=204, errors=(401, 403, 404))
def unlock(task_id):
    _row(task_id)
    engine.unlock_external_task(db.session, task_id)
    commit()
    return "", 204


@bp.put("/external-task/<id:task_id>/retries")
@camunda_operation("Set the retries the next worker is told; 0 opens an incident (admin)", status=204,
                   body=RETRIES_BODY, errors=(400, 401, 403, 404, 409))
def set_retries(task_id):
    retries = json_object()["retries"]
    _row(task_id)
    engine.set_external_task_retries(db.session, task_id, retries)
    commit()
    return "", 204


def external_task_dto(row: ExternalTask, instance: ProcessInstance) -> dict:
    locked = row.lock_expires_at is not None and row.worker_id is not None
    return {"activityId": row.activity_id, "activityInstanceId": f"{row.activity_id}:{row.id}",
            "errorMessage": row.error_message, "executionId": row.instance_id, "id": row.id,
            "lockExpirationTime": format_date(row.lock_expires_at) if locked else None,
            "createTime": format_date(row.created_at), "processDefinitionId": instance.definition_id,
            "processDefinitionKey": instance.definition_key, "processDefinitionVersionTag": None,
            "processInstanceId": row.instance_id, "retries": row.retries,
            "suspended": instance.state == InstanceState.SUSPENDED.value,
            "workerId": row.worker_id if locked else None, "topicName": row.topic, "tenantId": None, "priority": 0,
            "businessKey": instance.business_key, "links": [link("GET", f"/external-task/{row.id}", "self")]}


def _filter() -> ExternalTaskFilter:
    task_ids = ids("externalTaskIdIn", "externalTaskId")
    activities = ids("activityIdIn", "activityId")
    instances = ids("processInstanceIdIn", "processInstanceId")
    return ExternalTaskFilter(
        ids=task_ids, topic=text("topicName"), worker_id=text("workerId"), locked=flag("locked"),
        not_locked=flag("notLocked"), with_retries_left=flag("withRetriesLeft"),
        no_retries_left=flag("noRetriesLeft"), lock_expiration_after=date("lockExpirationAfter"),
        lock_expiration_before=date("lockExpirationBefore"), activity_ids=activities or None,
        instance_ids=instances or None, definition_id=text("processDefinitionId"), active=flag("active"),
        suspended=flag("suspended"), priority_min=integer("priorityHigherThanOrEquals"),
        priority_max=integer("priorityLowerThanOrEquals"))


def _found():
    sort_by, descending = sorting()
    return external_tasks_where(_filter(), sort_by, descending)


@bp.get("/external-task")
@camunda_operation("External tasks waiting for workers, by externalTaskId(In), topicName, workerId, locked, "
                   "notLocked, withRetriesLeft, noRetriesLeft, lockExpirationAfter/Before, activityId(In), "
                   "processInstanceId(In), processDefinitionId, active, suspended; paging and sorting",
                   response=ARRAY)
def list_external_tasks():
    first, most = paging()
    rows = window(db.session, _found(), first, most)
    return [external_task_dto(row, db.session.get(ProcessInstance, row.instance_id)) for row in rows]


@bp.get("/external-task/count")
@camunda_operation("How many external tasks match the filters of GET /external-task")
def count_external_tasks():
    return {"count": count_of(db.session, _found())}


@bp.get("/external-task/<id:task_id>")
@camunda_operation("One external task", errors=(401, 403, 404))
def get_external_task(task_id):
    row = _row(task_id)
    return external_task_dto(row, db.session.get(ProcessInstance, row.instance_id))


@bp.get("/external-task/<id:task_id>/errorDetails")
@camunda_operation("What the last failing worker reported beside its error message", errors=(401, 403, 404),
                   response={"type": "string"}, content="text/plain")
def error_details(task_id):
    return _row(task_id).error_details or "", 200, {"Content-Type": "text/plain; charset=utf-8"}

