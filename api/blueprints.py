"""Shared plumbing for the API blueprints: authentication, parsing and the unit of work."""
from __future__ import annotations

from flask import Blueprint, request

from api.auth import authenticate
from api.extensions import db
from api.permissions import enforce_route_rule
from engine.errors import BadRequest, Forbidden
from engine.identity.users import Actor


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /api/v1 whose every view requires a valid token and passes its route's rule."""
    blueprint = Blueprint(name, import_name, url_prefix="/api/v1")
    blueprint.before_request(authenticate)
    blueprint.before_request(enforce_route_rule)
    return blueprint


def json_body() -> dict:
    """The request's JSON object, or a 400 problem."""
    body = request.get_json(silent=True)
    if body is None and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def commit() -> None:
    """Acknowledge only what is committed: called before a writing view returns."""
    db.session.commit()


def committed(answer):
    """Commit, then return `answer`, which the caller built before the commit from the rows in memory (after
    it every row would be read back from the database)."""
    commit()
    return answer


def require_admin(actor: Actor, doing: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"{actor.name} may not {doing}: the admin group is required")
