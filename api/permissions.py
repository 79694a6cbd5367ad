"""Who may call each route: one table, checked before every /api/v1 and /engine-rest view runs (the README
shows the same table).

Each route maps to a rule. A rule with a check runs it before the view (after authentication); the note says
what the engine checks further once it holds the object (e.g. only an instance's starter or an admin may
suspend it). An /api/v1 or /engine-rest route missing from the table is refused (403): a new route must say
who may call it.
Rules on instances and tasks answer 404 to whoever may not read them, so nobody learns what exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Flask, request
from sqlalchemy.orm import Session

from api.auth import current_actor
from api.extensions import db
from engine.errors import Forbidden
from engine.identity.read_access import check_instance_readable, check_task_readable
from engine.identity.users import Actor

WORKER_GROUPS = {"worker", "admin"}
Check = Callable[[Session, Actor, dict], None]


@dataclass(frozen=True)
class Rule:
    """Who may call a route, in words, and the check that enforces it before the view (None: no check here)."""

    who: str
    check: Check | None = None


def _admin(session: Session, actor: Actor, args: dict) -> None:
    if not actor.is_admin:
        raise Forbidden(f"{actor.name} may not do this: the admin group is required")


def _worker(session: Session, actor: Actor, args: dict) -> None:
    if not WORKER_GROUPS.intersection(actor.groups):
        raise Forbidden(f"{actor.name} may not act as a worker: the worker (or admin) group is required")


def _signed_in(session: Session, actor: Actor, args: dict) -> None:
    """Authentication (the blueprint's first hook) is all this rule asks."""


def _instance_reader(session: Session, actor: Actor, args: dict) -> None:
    check_instance_readable(session, actor, args["instance_id"])


def _task_reader(session: Session, actor: Actor, args: dict) -> None:
    check_task_readable(session, actor, args["task_id"])


PUBLIC = Rule("anyone")
SIGNED_IN_PAGE = Rule("a signed-in user (else the sign-in page)")
METRICS = Rule("anyone, or the holder of FUSE_METRICS_TOKEN when it is set")
SIGNED_IN = Rule("any signed-in user", _signed_in)
ADMIN = Rule("admin", _admin)
WORKER = Rule("worker or admin", _worker)
INSTANCE_READER = Rule("who may read the instance (else 404)", _instance_reader)
TASK_READER = Rule("who may read the task's instance (else 404)", _task_reader)

# endpoint -> (rule, what the engine checks further). Keep in step with the README's "Who may call what".
ROUTES: dict[str, tuple[Rule, str]] = {
    "health.healthz": (PUBLIC, ""),
    "metrics.metrics": (METRICS, ""),
    "static": (PUBLIC, ""),
    "docs.api_docs": (PUBLIC, ""),
    "docs.openapi_json": (PUBLIC, ""),
    "web.login": (PUBLIC, ""),
    "web.login_submit": (PUBLIC, "a CSRF token"),
    "web.logout": (PUBLIC, "a CSRF token"),
    "web.login_code": (PUBLIC, "a CSRF token and the first sign-in step of this browser"),
    "oidc.sign_in": (PUBLIC, "single sign-on only (404 without it)"),
    "oidc.callback": (PUBLIC, "the sign-in's state, nonce and PKCE verifier, the provider's ID token"),
    "oidc.signed_out": (PUBLIC, "single sign-on only (404 without it)"),
    "web.task_list": (SIGNED_IN_PAGE, ""),
    "web.task_page": (SIGNED_IN_PAGE, "the page reads the task through the API"),
    "web.start_page": (SIGNED_IN_PAGE, "lists only what the user may start"),
    "web.instance_page": (SIGNED_IN_PAGE, "the page reads the instance through the API"),
    "deployments.create_deployment": (ADMIN, ""),
    "me.me": (SIGNED_IN, "the caller's own identity"),
    "deployments.validate": (SIGNED_IN, ""),
    "deployments.list_deployments": (SIGNED_IN, ""),
    "deployments.get_deployment": (SIGNED_IN, ""),
    "deployments.list_definitions": (SIGNED_IN, "`startable=true`: only those the caller may start"),
    "deployments.get_definition": (SIGNED_IN, ""),
    "deployments.get_start_form": (SIGNED_IN, ""),
    "deployments.get_definition_xml": (SIGNED_IN, ""),
    "instances.start_instance": (SIGNED_IN, "start rights (403): candidate starters, grants, FUSE_DEFAULT_START"),
    "instances.list_instances": (SIGNED_IN, "lists and counts only the instances the caller may read"),
    "instances.get_instance": (INSTANCE_READER, ""),
    "instances.get_variables": (INSTANCE_READER, ""),
    "instances.patch_variables": (INSTANCE_READER, "its starter or an admin (403)"),
    "instances.suspend": (INSTANCE_READER, "its starter or an admin (403)"),
    "instances.resume": (INSTANCE_READER, "its starter or an admin (403)"),
    "instances.terminate": (INSTANCE_READER, "its starter or an admin (403)"),
    "instances.history": (INSTANCE_READER, ""),
    "instances.diagram": (INSTANCE_READER, ""),
    "audit.verify": (INSTANCE_READER, ""),
    "audit.export": (ADMIN, ""),
    "repair.retry": (ADMIN, ""),
    "repair.move": (ADMIN, ""),
    "repair.rewind": (ADMIN, ""),
    "repair.migrate": (ADMIN, ""),
    "tasks.list_tasks": (SIGNED_IN, "lists and counts only tasks of instances the caller may read"),
    "tasks.get_task": (TASK_READER, ""),
    "tasks.get_form": (TASK_READER, ""),
    "tasks.claim": (TASK_READER, "a candidate (403)"),
    "tasks.unclaim": (TASK_READER, "its assignee or an admin (403)"),
    "tasks.assign": (TASK_READER, "its assignee or an admin (403)"),
    "tasks.complete": (TASK_READER, "its assignee, or a candidate while unassigned (403)"),
    "events.message": (SIGNED_IN, ""),
    "events.signal": (SIGNED_IN, ""),
    "incidents.list_incidents": (ADMIN, ""),
    "incidents.retry": (ADMIN, ""),
    "incidents.resolve": (ADMIN, ""),
    "external_tasks.fetch_and_lock": (WORKER, ""),
    "external_tasks.complete": (WORKER, "the lock holder (409)"),
    "external_tasks.failure": (WORKER, "the lock holder (409)"),
    "external_tasks.bpmn_error": (WORKER, "the lock holder (409)"),
    "external_tasks.extend_lock": (WORKER, "the lock holder (409)"),
    "authorizations.list_authorizations": (ADMIN, ""),
    "authorizations.add_authorization": (ADMIN, ""),
    "authorizations.remove_authorization": (ADMIN, ""),
    "authorizations.authorization_log": (ADMIN, ""),
    # Camunda 7's REST API at /engine-rest (api/camunda7): the same rules as the /api/v1 routes doing the same.
    "camunda7_deployments.version": (SIGNED_IN, ""),
    "camunda7_deployments.engines": (SIGNED_IN, ""),
    "camunda7_deployments.create_deployment": (ADMIN, ""),
    "camunda7_deployments.list_deployments": (SIGNED_IN, ""),
    "camunda7_deployments.count_deployments": (SIGNED_IN, ""),
    "camunda7_deployments.get_deployment": (SIGNED_IN, ""),
    "camunda7_deployments.delete_deployment": (ADMIN, "no instances left, or cascade=true (409)"),
    "camunda7_definitions.list_definitions": (SIGNED_IN, ""),
    "camunda7_definitions.count_definitions": (SIGNED_IN, ""),
    "camunda7_definitions.get_definition": (SIGNED_IN, ""),
    "camunda7_definitions.get_definition_by_key": (SIGNED_IN, ""),
    "camunda7_definitions.get_xml": (SIGNED_IN, ""),
    "camunda7_definitions.get_xml_by_key": (SIGNED_IN, ""),
    "camunda7_definitions.start": (SIGNED_IN, "start rights (403): candidate starters, grants, FUSE_DEFAULT_START"),
    "camunda7_definitions.start_by_key": (SIGNED_IN, "start rights (403): candidate starters, grants, "
                                                     "FUSE_DEFAULT_START"),
    "camunda7_definitions.get_start_form": (SIGNED_IN, ""),
    "camunda7_definitions.get_start_form_by_key": (SIGNED_IN, ""),
    "camunda7_definitions.get_form_variables": (SIGNED_IN, ""),
    "camunda7_definitions.get_form_variables_by_key": (SIGNED_IN, ""),
    "camunda7_instances.list_instances": (SIGNED_IN, "lists and counts only the instances the caller may read"),
    "camunda7_instances.count_instances": (SIGNED_IN, "counts only the instances the caller may read"),
    "camunda7_instances.get_instance": (INSTANCE_READER, ""),
    "camunda7_instances.delete_instance": (INSTANCE_READER, "its starter or an admin (403)"),
    "camunda7_instances.set_suspended": (INSTANCE_READER, "its starter or an admin (403)"),
    "camunda7_instances.get_variables": (INSTANCE_READER, ""),
    "camunda7_instances.modify_variables": (INSTANCE_READER, "its starter or an admin (403)"),
    "camunda7_instances.get_variable": (INSTANCE_READER, ""),
    "camunda7_instances.put_variable": (INSTANCE_READER, "its starter or an admin (403)"),
    "camunda7_instances.delete_variable": (INSTANCE_READER, "its starter or an admin (403)"),
    "camunda7_instances.activity_instances": (INSTANCE_READER, ""),
    "camunda7_tasks.list_tasks": (SIGNED_IN, "lists and counts only tasks of instances the caller may read"),
    "camunda7_tasks.count_tasks": (SIGNED_IN, "counts only tasks of instances the caller may read"),
    "camunda7_tasks.get_task": (TASK_READER, ""),
    "camunda7_tasks.claim": (TASK_READER, "a candidate for oneself, an admin for another user (403); "
                                          "unclaimed (409)"),
    "camunda7_tasks.unclaim": (TASK_READER, "its assignee or an admin (403)"),
    "camunda7_tasks.set_assignee": (TASK_READER, "its assignee or an admin (403)"),
    "camunda7_tasks.complete": (TASK_READER, "its assignee, or a candidate while unassigned (403); step-up"),
    "camunda7_tasks.submit_form": (TASK_READER, "its assignee, or a candidate while unassigned (403); step-up"),
    "camunda7_tasks.get_form": (TASK_READER, ""),
    "camunda7_tasks.get_form_variables": (TASK_READER, ""),
    "camunda7_tasks.get_variables": (TASK_READER, ""),
    "camunda7_events.correlate": (SIGNED_IN, "as POST /api/v1/messages"),
    "camunda7_events.throw_signal": (SIGNED_IN, "as POST /api/v1/signals"),
    "camunda7_external_tasks.fetch_and_lock": (WORKER, ""),
    "camunda7_external_tasks.complete": (WORKER, "the lock holder: workerId and user (400)"),
    "camunda7_external_tasks.failure": (WORKER, "the lock holder: workerId and user (400)"),
    "camunda7_external_tasks.bpmn_error": (WORKER, "the lock holder: workerId and user (400)"),
    "camunda7_external_tasks.extend_lock": (WORKER, "the lock holder: workerId and user (400)"),
    "camunda7_external_tasks.unlock": (ADMIN, ""),
    "camunda7_external_tasks.set_retries": (ADMIN, ""),
    "camunda7_external_tasks.list_external_tasks": (WORKER, ""),
    "camunda7_external_tasks.count_external_tasks": (WORKER, ""),
    "camunda7_external_tasks.get_external_task": (WORKER, ""),
    "camunda7_external_tasks.error_details": (WORKER, ""),
    "camunda7_incidents.list_incidents": (ADMIN, ""),
    "camunda7_incidents.count_incidents": (ADMIN, ""),
    "camunda7_incidents.get_incident": (ADMIN, ""),
    "camunda7_history.list_historic_instances": (SIGNED_IN, "lists only the instances the caller may read"),
    "camunda7_history.count_historic_instances": (SIGNED_IN, "counts only the instances the caller may read"),
    "camunda7_history.get_historic_instance": (SIGNED_IN, "an instance the caller may read (else 404)"),
    "camunda7_history.list_historic_activities": (SIGNED_IN, "only of instances the caller may read"),
    "camunda7_history.count_historic_activities": (SIGNED_IN, "only of instances the caller may read"),
    "camunda7_history.list_historic_variables": (SIGNED_IN, "only of instances the caller may read"),
    "camunda7_history.count_historic_variables": (SIGNED_IN, "only of instances the caller may read"),
}


def enforce_route_rule() -> None:
    """before_request hook of the API blueprints (after authentication): the route's rule, or 403 if it has none."""
    entry = ROUTES.get(request.endpoint or "")
    if entry is None or entry[0].check is None:
        raise Forbidden(f"no access rule covers {request.method} {request.path}; it is refused")
    entry[0].check(db.session, current_actor(), request.view_args or {})


def route_table(app: Flask) -> list[tuple[str, str, str, str]]:
    """(methods, path, who, then) for every route of the app, by path: the README's table is made from it."""
    rows = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, sorted(r.methods))):
        found, then = ROUTES.get(rule.endpoint, (Rule("NOBODY: missing from api/permissions.py"), ""))
        methods = ", ".join(sorted(rule.methods - {"HEAD", "OPTIONS"}))
        rows.append((methods, rule.rule, found.who, then))
    return rows


def route_table_markdown(app: Flask) -> str:
    lines = ["| method | route | who may call it | checked further |", "|---|---|---|---|"]
    lines += [f"| {methods} | `{path}` | {who} | {then} |" for methods, path, who, then in route_table(app)]
    return "\n".join(lines) + "\n"
