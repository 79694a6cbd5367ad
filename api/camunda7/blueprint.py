"""What every /engine-rest blueprint shares: the prefix, authentication (api.camunda7.auth), the route rules of
api/permissions.py (as under /api/v1: a route without a row is refused), request parsing and links."""
from __future__ import annotations

from flask import Blueprint, request
from werkzeug.routing import BaseConverter

from api.camunda7.auth import authenticate_camunda
from api.camunda7.errors import PREFIX, CamundaError
from api.permissions import enforce_route_rule

TAG = "Camunda 7 REST (engine-rest)"  # the OpenAPI tag of every route under the prefix


class ResourceId(BaseConverter):
    """`<id:...>`: an id in a path, never one of the words a sibling route spells (`/deployment/count` is the
    count, not a deployment called "count"), so each path answers, and advertises in Allow, only its own methods."""

    regex = r"(?!(?:count|create|key|fetchAndLock)(?![^/]))[^/]+"


def camunda_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /engine-rest whose every view requires credentials and passes its route's rule."""
    blueprint = Blueprint(name, import_name, url_prefix=PREFIX)
    blueprint.before_request(authenticate_camunda)
    blueprint.before_request(enforce_route_rule)
    return blueprint


def invalid(message: str) -> CamundaError:
    return CamundaError(400, "InvalidRequestException", message)


def not_found(message: str) -> CamundaError:
    return CamundaError(404, "InvalidRequestException", message)


def json_object() -> dict:
    """The request's JSON object (an empty body is {}), or 400."""
    if not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object")
    return body


def link(method: str, path: str, rel: str) -> dict:
    """A HATEOAS link as Camunda writes them: absolute, under the prefix this server answers on."""
    return {"method": method, "href": f"{request.host_url.rstrip('/')}{PREFIX}{path}", "rel": rel}
