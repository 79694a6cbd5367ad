"""@camunda_operation: an /engine-rest view in the OpenAPI document, under the tag of its own, with Camunda's
error body ({type, message, code}) for the statuses it may answer."""
from __future__ import annotations

from collections.abc import Callable

from api.camunda7.blueprint import TAG
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
                      errors: tuple[int, ...] = (400, 401, 403), multipart: dict | None = None) -> Callable:
    def wrap(view: Callable) -> Callable:
        view = operation(summary, response=response if status != 204 else None, status=status, body=body,
                         errors=errors, multipart=multipart)(view)
        view.openapi["tag"] = TAG
        view.openapi["error_content"] = {"application/json": {"schema": ERROR_BODY}}
        view.openapi["error_descriptions"] = WHY
        return view
    return wrap
