"""External tasks for workers in other processes or languages (Camunda's external-task protocol)."""
from __future__ import annotations

from api.auth import current_actor
from api.blueprints import api_blueprint, commit, committed, json_body
from api.docs import operation
from api.extensions import db
from api.instances import instance_response
from api.schemas import (
    ExtendLockSchema, FailureRecordedSchema, FetchAndLockSchema, InstanceSchema, LockedTaskSchema,
    LockExtendedSchema, WorkerBpmnErrorSchema, WorkerCompleteSchema, WorkerFailureSchema,
)
from engine.tasks import external_tasks as engine
from engine.errors import Forbidden

bp = api_blueprint("external_tasks", __name__)
WORKER_GROUPS = {"worker", "admin"}


def require_worker() -> str:
    """The worker's user name (a lock is held by worker_id and user together), or 403."""
    actor = current_actor()
    if not actor.groups & WORKER_GROUPS:
        raise Forbidden(f"{actor.name} may not act as a worker: the worker (or admin) group is required")
    return actor.name


@bp.post("/external-tasks/fetch-and-lock")
@operation("Lock up to max_tasks tasks of the given topics for this worker", body=FetchAndLockSchema,
           response=LockedTaskSchema(many=True), errors=(400, 401, 403))
def fetch_and_lock():
    user = require_worker()
    args = FetchAndLockSchema().load(json_body())
    locked = engine.fetch_and_lock(db.session, args["worker_id"], args["max_tasks"], args["topics"], user)
    return LockedTaskSchema(many=True).dump(locked)


@bp.post("/external-tasks/<task_id>/complete")
@operation("Complete a locked task with output variables", body=WorkerCompleteSchema, response=InstanceSchema,
           errors=(400, 401, 403, 404, 409))
def complete(task_id):
    user = require_worker()
    args = WorkerCompleteSchema().load(json_body())
    row = engine.complete_external_task(db.session, task_id, args["worker_id"], args["variables"], user)
    return committed(instance_response(row))


@bp.post("/external-tasks/<task_id>/failure")
@operation("Report a failure: available again after retry_timeout_ms while retries > 0, else an incident",
           body=WorkerFailureSchema, response=FailureRecordedSchema, errors=(400, 401, 403, 404, 409))
def failure(task_id):
    user = require_worker()
    args = WorkerFailureSchema().load(json_body())
    engine.fail_external_task(db.session, task_id, args["worker_id"], args["error_message"], args["retries"],
                              args["retry_timeout_ms"], user)
    commit()
    return {"status": "recorded"}


@bp.post("/external-tasks/<task_id>/bpmn-error")
@operation("Throw a BPMN error from a locked task", body=WorkerBpmnErrorSchema, response=InstanceSchema,
           errors=(400, 401, 403, 404, 409))
def bpmn_error(task_id):
    user = require_worker()
    args = WorkerBpmnErrorSchema().load(json_body())
    row = engine.bpmn_error_external_task(db.session, task_id, args["worker_id"], args["error_code"],
                                          args["error_message"], args["variables"], user)
    return committed(instance_response(row))


@bp.post("/external-tasks/<task_id>/extend-lock")
@operation("Keep a task locked for longer", body=ExtendLockSchema, response=LockExtendedSchema,
           errors=(400, 401, 403, 404, 409))
def extend_lock(task_id):
    user = require_worker()
    args = ExtendLockSchema().load(json_body())
    row = engine.extend_lock(db.session, task_id, args["worker_id"], args["new_duration_ms"], user)
    commit()
    return LockExtendedSchema().dump(row)
