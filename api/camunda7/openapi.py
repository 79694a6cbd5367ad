"""@camunda_operation: an /engine-rest view in the OpenAPI document, under the tag of its own, with Camunda's
error body ({type, message, code}) for the statuses it may answer.

A JSON body is checked against the schema the document shows before the view runs, so the document is the
contract: what it does not allow is a 400 InvalidRequestException naming the member, whatever the view reads.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import request
from jsonschema import Draft7Validator

from api.camunda7.blueprint import TAG, invalid
from api.docs import operation

ERROR_BODY = {"type": "object", "properties": {
    "type": {"type": "string", "description": "Camunda's exception name, e.g. InvalidRequestException"},
    "message": {"type": "string"}, "code": {"type": "integer"}}}
WHY = {400: "Invalid request (InvalidRequestException, or ParseException for a model)",
       401: "No or wrong credentials: HTTP Basic (user name, API token) or Bearer token",
       403: "Not allowed (AuthorizationException)", 404: "Unknown id (InvalidRequestException)",
       409: "Conflicts with the current state (RestException)"}
OBJECT = {"type": "object"}


def camunda_operation(summary: str, *, response=OBJECT, status: int = 200, body=None,
                      errors: tuple[int, ...] = (400, 401, 403), multipart: dict | None = None,
                      content: str = "application/json") -> Callable:
    def wrap(view: Callable) -> Callable:
        if isinstance(body, dict):
            view = _checking_body(view, Draft7Validator(json_schema(body)))
        view = operation(summary, response=response if status != 204 else None, status=status, body=body,
                         errors=errors, multipart=multipart, content=content)(view)
        view.openapi["tag"] = TAG
        view.openapi["error_content"] = {"application/json": {"schema": ERROR_BODY}}
        view.openapi["error_descriptions"] = WHY
        return view
    return wrap


def json_schema(schema: dict) -> dict:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes a type that admits null."""
    converted = {key: value for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") and "type" in schema:
        converted["type"] = [schema["type"], "null"]
    if "properties" in schema:
        converted["properties"] = {name: json_schema(sub) for name, sub in schema["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            converted[key] = json_schema(schema[key])
    return converted


def _checking_body(view: Callable, validator: Draft7Validator) -> Callable:
    @wraps(view)
    def checked(*args, **kwargs):
        # No body is an empty object (what json_object() gives the view), so members the schema requires are
        # asked for here; a body that is not JSON is left to the view, which says what it needs.
        body = request.get_json(silent=True) if request.get_data() else {}
        if body is not None:
            error = next(iter(sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))), None)
            if error is not None:
                where = ".".join(str(part) for part in error.absolute_path) or "the body"
                raise invalid(f"{where}: {error.message}")
        return view(*args, **kwargs)
    return checked
