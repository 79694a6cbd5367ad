"""User tasks: list, read, claim, unclaim, assign, complete."""
from __future__ import annotations

from flask import request

from api.auth import current_actor
from api.blueprints import api_blueprint, commit, committed, json_body
from api.docs import operation
from api.extensions import db
from api.instances import instance_response
from api.schemas import (
    AssignSchema, CompleteTaskSchema, FormViewSchema, InstanceSchema, TaskPageSchema, TaskQuerySchema, TaskSchema,
)
from engine.tasks import user_tasks as engine
from engine.definitions.task_forms import task_form
from engine.tasks.step_up import task_step_up

bp = api_blueprint("tasks", __name__)


def _dump(tasks: list) -> list[dict]:
    variables = engine.variables_by_task(db.session, tasks)
    return [{**TaskSchema(exclude=("step_up",)).dump(t), "variables": variables.get(t.id, {})} for t in tasks]


def _dump_one(task) -> dict:
    """One task, with what it asks of the person completing it (a page warns before they type)."""
    step_up = task_step_up(db.session, task)
    return {**_dump([task])[0], "step_up": step_up.as_dict() if step_up else None}


@bp.get("/tasks")
@operation("A page of tasks by filter, oldest first; without filters, the open tasks the caller may work on",
           query=TaskQuerySchema, response=TaskPageSchema, errors=(400, 401))
def list_tasks():
    query = TaskQuerySchema().load(request.args)
    found = engine.list_tasks(db.session, current_actor(), **query)
    return {**TaskPageSchema(exclude=("items",)).dump(found), "items": _dump(found.items)}


@bp.get("/tasks/<task_id>")
@operation("One task with the variables it sees (its instance's, and its own input parameters)", response=TaskSchema, errors=(401, 404))
def get_task(task_id):
    return _dump_one(engine.get_task(db.session, task_id))


@bp.get("/tasks/<task_id>/form")
@operation("The task's form: schema, UI hints and current values", response=FormViewSchema, errors=(401, 404, 422))
def get_form(task_id):
    return FormViewSchema().dump(task_form(db.session, engine.get_task(db.session, task_id)))


@bp.post("/tasks/<task_id>/claim")
@operation("Claim an unassigned task (candidates only)", response=TaskSchema, errors=(401, 403, 404, 409))
def claim(task_id):
    task = engine.claim_task(db.session, task_id, current_actor())
    commit()
    return _dump_one(task)


@bp.post("/tasks/<task_id>/unclaim")
@operation("Give a claimed task back to its candidates", response=TaskSchema, errors=(401, 403, 404, 409))
def unclaim(task_id):
    task = engine.unclaim_task(db.session, task_id, current_actor())
    commit()
    return _dump_one(task)


@bp.post("/tasks/<task_id>/assign")
@operation("Assign a task to a user (its assignee or an admin)", body=AssignSchema, response=TaskSchema,
           errors=(400, 401, 403, 404, 409))
def assign(task_id):
    user = AssignSchema().load(json_body())["user"]
    task = engine.assign_task(db.session, task_id, current_actor(), user)
    commit()
    return _dump_one(task)


@bp.post("/tasks/<task_id>/complete")
@operation("Complete a task; answers with the instance after it ran on to its next wait state",
           body=CompleteTaskSchema, response=InstanceSchema, errors=(400, 401, 403, 404, 409, 422))
def complete(task_id):
    variables = CompleteTaskSchema().load(json_body())["variables"]
    row = engine.complete_task(db.session, task_id, current_actor(), variables)
    return committed(instance_response(row))
