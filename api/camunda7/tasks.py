"""/engine-rest: user tasks (query, count, read, claim, unclaim, assignee, complete, submit-form, form, variables).

Only open tasks exist here, as in Camunda's runtime task API; a completed task answers 404 (its instance's
history keeps it). Who may see and work on a task is Fuse's rule, the same as under /api/v1: a task of an
instance you may not read is unknown (404); completing asks to be its assignee or, unassigned, a candidate.
"""
from __future__ import annotations

from flask import request
from sqlalchemy import select

from api.auth import current_actor
from api.blueprints import commit
from api.camunda7.blueprint import camunda_blueprint, invalid, json_object, link, not_found
from api.camunda7.openapi import camunda_operation
from api.camunda7.queries import date, flag, ids, integer, paging, pattern, sorting, text
from api.camunda7.variables import (
    declared_values,
    format_date,
    typed_form_fields,
    typed_instance_variables,
    typed_values,
)
from api.extensions import db
from engine.definitions.task_forms import task_extensions, task_form, task_variables
from engine.errors import Conflict, Forbidden, NotFound, TaskNotOpen
from engine.instances.variable_types import declared_types
from engine.store.models import ProcessInstance, UserTask
from engine.store.paging import count_of, window
from engine.store.states import InstanceState, UserTaskState
from engine.tasks import user_tasks
from engine.tasks.task_queries import DEFAULT_PRIORITY, TaskFilter, open_tasks_where

bp = camunda_blueprint("camunda7_tasks", __name__)
ARRAY = {"type": "array", "items": {"type": "object"}}
USER_BODY = {"type": "object", "properties": {"userId": {"type": "string", "nullable": True}}}
COMPLETE_BODY = {"type": "object", "properties": {
    "variables": {"type": "object", "nullable": True, "description": "typed values by name: {value, type, valueInfo}"},
    "withVariablesInReturn": {"type": "boolean"}}}


def _form(task: UserTask, instance: ProcessInstance) -> tuple[str | None, dict | None]:
    """(formKey, camundaFormRef) as the task's element names its form."""
    _, extensions = task_extensions(db.session, instance, task.activity_id)
    form = (extensions or {}).get("form") or {}
    ref = form.get("ref") or form.get("form_id")
    if ref:
        return None, {"key": ref, "binding": form.get("binding") or "latest", "version": form.get("version")}
    return task.form_key, None


def task_dto(task: UserTask, instance: ProcessInstance) -> dict:
    form_key, form_ref = _form(task, instance)
    return {"id": task.id, "name": task.name, "assignee": task.assignee, "owner": None,
            "created": format_date(task.created_at), "lastUpdated": None,
            "due": format_date(task.due) if task.due else None,
            "followUp": format_date(task.follow_up) if task.follow_up else None,
            "delegationState": None, "description": None, "executionId": instance.id, "parentTaskId": None,
            "priority": task.priority if task.priority is not None else DEFAULT_PRIORITY,
            "processDefinitionId": instance.definition_id, "processInstanceId": instance.id,
            "caseExecutionId": None, "caseDefinitionId": None, "caseInstanceId": None,
            "taskDefinitionKey": task.activity_id, "suspended": instance.state == InstanceState.SUSPENDED.value,
            "formKey": form_key, "camundaFormRef": form_ref, "tenantId": None,
            "links": [link("GET", f"/task/{task.id}", "self")]}


def _filter() -> TaskFilter:
    task_ids, instance_ids = ids("taskIdIn", "taskId"), ids("processInstanceIdIn", "processInstanceId")
    definition_keys = ids("processDefinitionKeyIn", "processDefinitionKey")
    activity_ids, groups = ids("taskDefinitionKeyIn", "taskDefinitionKey"), ids("candidateGroups", "candidateGroup")
    return TaskFilter(
        task_ids=task_ids, instance_ids=instance_ids, business_key=text("processInstanceBusinessKey"),
        business_key_like=pattern("processInstanceBusinessKeyLike"), definition_id=text("processDefinitionId"),
        definition_keys=definition_keys, activity_ids=activity_ids, name=text("name"), name_like=pattern("nameLike"),
        assignee=text("assignee"), assignee_like=pattern("assigneeLike"), candidate_user=text("candidateUser"),
        candidate_groups=groups, include_assigned=flag("includeAssignedTasks"), assigned=flag("assigned"),
        unassigned=flag("unassigned"), due_before=date("dueBefore"), due_after=date("dueAfter"),
        follow_up_before=date("followUpBefore"), follow_up_after=date("followUpAfter"),
        created_before=date("createdBefore"), created_after=date("createdAfter"),
        min_priority=integer("minPriority"), max_priority=integer("maxPriority"),
        with_candidate_groups=flag("withCandidateGroups"), without_candidate_groups=flag("withoutCandidateGroups"),
        with_candidate_users=flag("withCandidateUsers"), without_candidate_users=flag("withoutCandidateUsers"),
        active=flag("active"), suspended=flag("suspended"))


def _found():
    sort_by, descending = sorting()
    return open_tasks_where(db.session, current_actor(), _filter(), sort_by, descending)


@bp.get("/task")
@camunda_operation("Open tasks the caller may read, by processInstanceId(In), processInstanceBusinessKey(Like), "
                   "processDefinitionId, processDefinitionKey(In), taskDefinitionKey(In), taskId(In), name(Like), "
                   "assignee(Like), candidateUser, candidateGroup(s), includeAssignedTasks, assigned, unassigned, "
                   "withCandidateGroups, withoutCandidateGroups, withCandidateUsers, withoutCandidateUsers, "
                   "dueBefore/After, followUpBefore/After, createdBefore/After, minPriority, maxPriority, active, "
                   "suspended; paging and sorting", response=ARRAY)
def list_tasks():
    first, most = paging()
    tasks = window(db.session, _found(), first, most)
    instances = {row.id: row for row in db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.id.in_({task.instance_id for task in tasks})))} if tasks else {}
    return [task_dto(task, instances[task.instance_id]) for task in tasks]


@bp.get("/task/count")
@camunda_operation("How many tasks match the filters of GET /task")
def count_tasks():
    return {"count": count_of(db.session, _found())}


def _open(task_id: str) -> tuple[UserTask, ProcessInstance]:
    task = db.session.get(UserTask, task_id)
    if task is None or task.state != UserTaskState.OPEN.value:
        raise not_found(f"No matching task with id {task_id}")
    return task, db.session.get(ProcessInstance, task.instance_id)


@bp.get("/task/<id:task_id>")
@camunda_operation("One open task", errors=(401, 404))
def get_task(task_id):
    return task_dto(*_open(task_id))


def _user_id(required: bool) -> str | None:
    user = json_object().get("userId")
    if user is None and required:
        raise invalid("userId is required")
    if user is not None and not (isinstance(user, str) and user.strip()):
        raise invalid("userId must be a user name")
    return user


@bp.post("/task/<id:task_id>/claim")
@camunda_operation('Claim a task for a user: {"userId"}; for oneself as a candidate, for another user as an admin',
                   status=204, body=USER_BODY, errors=(400, 401, 403, 404, 409))
def claim(task_id):
    user, actor = _user_id(required=True), current_actor()
    task, _ = _open(task_id)
    if task.assignee is not None and task.assignee != user:
        # Camunda answers 500 TaskAlreadyClaimedException; a conflict with the task's state is a 409 here.
        raise Conflict(f"Task '{task_id}' is already claimed by someone else.")
    if user == actor.name:
        user_tasks.claim_task(db.session, task_id, actor)
    elif actor.is_admin:
        user_tasks.assign_task(db.session, task_id, actor, user)
    else:
        raise Forbidden(f"{actor.name} may not claim task {task_id} for {user}: only an admin may")
    commit()
    return "", 204


@bp.post("/task/<id:task_id>/unclaim")
@camunda_operation("Give a claimed task back to its candidates (its assignee or an admin)", status=204,
                   errors=(401, 403, 404, 409))
def unclaim(task_id):
    _open(task_id)
    user_tasks.unclaim_task(db.session, task_id, current_actor())
    commit()
    return "", 204


@bp.post("/task/<id:task_id>/assignee")
@camunda_operation('Set the assignee: {"userId"} (null: nobody); its assignee or an admin may', status=204,
                   body=USER_BODY, errors=(400, 401, 403, 404, 409))
def set_assignee(task_id):
    user = _user_id(required=False)
    _open(task_id)
    if user is None:
        user_tasks.unclaim_task(db.session, task_id, current_actor())
    else:
        user_tasks.assign_task(db.session, task_id, current_actor(), user)
    commit()
    return "", 204


def _complete(task_id: str):
    body = json_object()
    values, types = declared_values(body.get("variables"))
    try:
        row = user_tasks.complete_task(db.session, task_id, current_actor(), values, types)
    except TaskNotOpen:
        raise not_found(f"No matching task with id {task_id}") from None
    answer = typed_instance_variables(row) if body.get("withVariablesInReturn") is True else None
    commit()
    return (answer, 200) if answer is not None else ("", 204)


@bp.post("/task/<id:task_id>/complete")
@camunda_operation("Complete a task with typed variables; 204, or 200 with the process variables when "
                   "withVariablesInReturn is true", status=204, body=COMPLETE_BODY,
                   errors=(400, 401, 403, 404, 409))
def complete(task_id):
    return _complete(task_id)


@bp.post("/task/<id:task_id>/submit-form")
@camunda_operation("Submit the task's form: its fields are checked as the form says (400 naming each bad one), "
                   "then the task completes as with /complete", status=204, body=COMPLETE_BODY,
                   errors=(400, 401, 403, 404, 409))
def submit_form(task_id):
    return _complete(task_id)


@bp.get("/task/<id:task_id>/form")
@camunda_operation("How the task names its form: {key, contextPath, camundaFormRef}", errors=(401, 404))
def get_form(task_id):
    key, ref = _form(*_open(task_id))
    return {"key": key, "contextPath": None, "camundaFormRef": ref}


def _variables(task: UserTask, instance: ProcessInstance) -> dict:
    return task_variables(task, instance.variables or {}, instance.workflow_state)


@bp.get("/task/<id:task_id>/form-variables")
@camunda_operation("The task form's fields with their current values as typed variables (variableNames: only "
                   "those); a task without a form answers the variables it sees", errors=(401, 404))
def get_form_variables(task_id):
    task, instance = _open(task_id)
    try:
        view = task_form(db.session, task)
    except NotFound:
        return _typed(task, instance)
    return typed_form_fields(view.schema, view.data, request.args.get("variableNames"))


def _typed(task: UserTask, instance: ProcessInstance) -> dict:
    variables = _variables(task, instance)
    if names := request.args.get("variableNames"):
        variables = {name: value for name, value in variables.items() if name in names.split(",")}
    deserialize = request.args.get("deserializeValues", "true").lower() != "false"
    return typed_values(variables, declared_types(instance), deserialize)


@bp.get("/task/<id:task_id>/variables")
@camunda_operation("The variables the task sees (its instance's, and its own input parameters), typed as "
                   "written", errors=(401, 404))
def get_variables(task_id):
    return _typed(*_open(task_id))
