"""Errors under /engine-rest in Camunda 7's shape: {"type": <exception name>, "message": ..., "code": 0}.

Every error Fuse raises (engine.errors), every refused request (authentication, authorisation, rate limits,
unknown routes, bad JSON) and every parse problem answers this way under the prefix, never problem+json.
Statuses follow Camunda's REST API: 400 bad input (Fuse's 422 too: Camunda has no 422), 401 no or wrong
credentials, 403 not allowed, 404 unknown id. Where Camunda answers 500 for a state conflict (e.g. deleting
a deployment that has instances) Fuse answers 409 with type RestException: a 5xx always means a bug here.
"""
from __future__ import annotations

from flask import Response, jsonify

from api.extensions import db

PREFIX = "/engine-rest"
# Fuse's problem slug -> Camunda's exception type; anything else is a RestException.
TYPES = {
    "bad-request": "InvalidRequestException", "invalid-json": "InvalidRequestException",
    "validation-failed": "InvalidRequestException", "invalid-value": "InvalidRequestException",
    "malformed-xml": "InvalidRequestException", "invalid-model": "InvalidRequestException",
    "unsafe-model-file": "InvalidRequestException", "not-found": "InvalidRequestException",
    "variable-too-large": "InvalidRequestException", "model-too-large": "InvalidRequestException",
    "compile-timeout": "InvalidRequestException",
    "unauthorized": "AuthenticationException", "forbidden": "AuthorizationException",
    "step-up-required": "AuthorizationException",
}
STATUSES = {422: 400}  # Fuse's status -> Camunda's, where they differ
KEPT_EXTRAS = {"errors", "file", "line", "column", "limit", "max", "running", "finished"}


class CamundaError(Exception):
    """An error to answer exactly as Camunda would: its status, exception type, message and details."""

    def __init__(self, status: int, type_: str, message: str, **extra):
        super().__init__(message)
        self.status, self.type, self.message, self.extra = status, type_, message, extra


def camunda_error(status: int, type_: str, message: str, **extra) -> Response:
    response = jsonify({"type": type_, "message": message, "code": 0, **extra})
    response.status_code = status
    if status == 401:
        # As Camunda's authentication filter answers: clients (and browsers) know to send Basic credentials.
        response.headers["WWW-Authenticate"] = 'Basic realm="engine-rest"'
    return response


def render_problem(status: int, slug: str, detail: str, extra: dict) -> Response:
    """api.errors.ERROR_DIALECTS's renderer for the prefix: a Fuse error as Camunda's body."""
    kept = {name: value for name, value in extra.items() if name in KEPT_EXTRAS}
    return camunda_error(STATUSES.get(status, status), TYPES.get(slug, "RestException"), detail, **kept)


def handle_camunda_error(err: CamundaError) -> Response:
    db.session.rollback()
    return camunda_error(err.status, err.type, err.message, **err.extra)
