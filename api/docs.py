"""OpenAPI: views describe themselves with @operation; the document is built from the app's routes.

The document is meant to be exactly as strict as the server, no looser and no stricter: what it marks
required, bounded, enumerated or one-of, the server refuses otherwise (tests/e2e/test_e2e_openapi_fuzz.py
runs schemathesis against the real server to hold both to it). A view lists the errors only it can answer;
the ones every route of its kind can answer are added here from how the app is built:

- 400 on every route: a NUL character in the path or the query (api/request_parsing.py);
- 429 with Retry-After on every rate-limited route: failed authentication is counted per address (api/throttle.py);
- under /api/v1, 401 (no valid token); for a state-changing request, 403 (a web session without its CSRF token)
  and 409 (the database was busy with another change: api/errors.py); and what the route's rule in
  api/permissions.py answers (403 for a group it lacks, 404 for an instance or task it may not read);
- 404 on routes with a path parameter (the object does not exist);
- with a body: 400 (not the expected shape), 413 (over the upload limit, or variables over theirs) and 422 (a
  value the database cannot store, e.g. a NUL character in a text field).
"""
from __future__ import annotations

import re
from typing import Callable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify, render_template
from werkzeug.routing import Rule as UrlRule

from api.permissions import ADMIN, INSTANCE_READER, ROUTES, TASK_READER, WORKER

ERROR_STATUSES = {
    400: "Bad request: the body or a parameter does not fit the document (the problem's `errors` name the "
         "fields), or the path or query holds a NUL character",
    401: "No valid token", 403: "Not allowed", 404: "Not found",
    409: "Conflict: the object's state does not allow it, or another change held the database (retry)",
    413: "Over a size limit: the upload, a variable, or a model (the problem's `limit` names the setting)",
    422: "Invalid model or data, or a value that cannot be stored (the problem names it)",
    429: "Too many failed authentications from this address; retry after the Retry-After header's seconds",
    503: "Too many compilations at once; retry after the Retry-After header's seconds"}
SUCCESS = {200: "OK", 201: "Created"}
# Answers that tell the client when to try again.
RETRY_AFTER = {429, 503}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Every route under these answers only callers with a valid token (or session) and checks api/permissions.py.
AUTHENTICATED_PREFIXES = ("/api/v1/", "/engine-rest/")
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
URL_VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")  # <name>, <converter:name>, <converter(args):name>
PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "description": "RFC 9457 problem details; some problems add members (`errors`, `field`, `limit`, `file`...)",
    "properties": {
        "type": {"type": "string", "description": "stable: urn:fuse:problem:<slug>"},
        "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
        "errors": {"description": "what is wrong: messages by field (400) or problems by element (422)"}}}


def operation(summary: str, *, response=None, status: int | tuple[int, ...] = 200, body=None, query=None,
              errors: tuple[int, ...] = (401,), content: str = "application/json", multipart=None,
              also: dict[str, dict] | None = None):
    """Attach OpenAPI metadata to a view; it changes nothing about how the view runs.

    `errors` lists what the view itself answers besides the statuses every route of its kind has (see the
    module's docstring); `multipart` is the marshmallow schema of a multipart/form-data body; `also` lists
    other media types the success response comes in (by Accept), with their schemas. `status` may list several
    success statuses (e.g. 201 created, 200 found), all with the same response.
    """
    def wrap(view: Callable) -> Callable:
        view.openapi = dict(summary=summary, response=response, status=status, body=body, query=query,
                            errors=errors, content=content, multipart=multipart, also=also or {})
        return view
    return wrap


def error_statuses(app: Flask, rule: UrlRule, method: str, meta: dict) -> list[int]:
    """The view's own errors and those every route like it can answer."""
    statuses = {400, *meta["errors"]}
    if rule.endpoint.partition(".")[0] not in app.extensions.get("fuse_rate_limit_exempt", ()):
        statuses.add(429)
    if rule.rule.startswith(AUTHENTICATED_PREFIXES):
        statuses.add(401)
        access = ROUTES.get(rule.endpoint, (None, ""))[0]
        if method not in SAFE_METHODS or access in (ADMIN, WORKER):
            statuses.add(403)
        if method not in SAFE_METHODS:
            statuses.add(409)
        if access in (INSTANCE_READER, TASK_READER):
            statuses.add(404)
    if rule.arguments:
        statuses.add(404)
    if meta["body"] is not None or meta["multipart"] is not None:
        statuses.update((400, 413, 422))
    return sorted(statuses)


def _request_body(meta: dict) -> dict | None:
    """A JSON or multipart body; required when its schema requires something (an empty body reads as {})."""
    if meta["multipart"] is not None:
        return {"required": True, "content": {"multipart/form-data": {"schema": meta["multipart"]}}}
    if meta["body"] is None:
        return None
    schema = meta["body"]
    if isinstance(schema, dict):  # a plain JSON schema (another API's body): required when it requires a field
        return {"required": bool(schema.get("required")), "content": {"application/json": {"schema": schema}}}
    instance = schema() if isinstance(schema, type) else schema
    required = any(field.required for field in instance.fields.values()) or bool(getattr(instance, "openapi", None))
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def path_parameters(rule: UrlRule) -> tuple[str, list[dict]]:
    """The rule as an OpenAPI path, and its parameters typed by their converters (<int:x> is a whole number)."""
    params = []
    for converter, name in URL_VARIABLE.findall(rule.rule):
        schema = {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return URL_VARIABLE.sub(r"{\2}", rule.rule), sorted(params, key=lambda p: p["name"])


def _operation_dict(app: Flask, rule: UrlRule, method: str, meta: dict) -> dict:
    op: dict = {"summary": meta["summary"], "responses": {}}
    params = path_parameters(rule)[1]
    if meta["query"] is not None:
        params.append({"in": "query", "schema": meta["query"]})
    if params:
        op["parameters"] = params
    if (body := _request_body(meta)) is not None:
        op["requestBody"] = body
    content: dict = {}
    if meta["response"] is not None:
        content[meta["content"]] = {"schema": meta["response"]}
    for media_type, schema in meta.get("also", {}).items():
        content[media_type] = {"schema": schema}
    for status in meta["status"] if isinstance(meta["status"], tuple) else (meta["status"],):
        op["responses"][str(status)] = {"description": SUCCESS.get(status, "OK"),
                                        **({"content": content} if content else {})}
    # Another API's routes (/engine-rest) answer the same statuses in their own error body.
    error_content = meta.get("error_content", PROBLEM_CONTENT)
    descriptions = {**ERROR_STATUSES, **meta.get("error_descriptions", {})}
    for status in error_statuses(app, rule, method, meta):
        answer = {"description": descriptions[status], "content": error_content}
        if status in RETRY_AFTER:
            answer["headers"] = {"Retry-After": {"required": True, "description": "seconds to wait",
                                                 "schema": {"type": "integer", "minimum": 1}}}
        op["responses"][str(status)] = answer
    return op


def _add_schema_extras(document: dict, plugin: MarshmallowPlugin) -> None:
    """Merge a marshmallow schema's `openapi` attribute (what fields cannot say, e.g. oneOf) into its component."""
    components = document.get("components", {}).get("schemas", {})
    for key, name in plugin.converter.refs.items():
        extra = getattr(key[0], "openapi", None)
        if extra and name in components:
            components[name].update(extra)


def build_openapi(app: Flask) -> dict:
    """The OpenAPI 3 document for every route whose view carries @operation metadata."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Fuse", version="1", openapi_version="3.0.3", plugins=[plugin],
                   info={"description": "Deploy BPMN, run process instances, work on user tasks."})
    spec.components.schema("Problem", PROBLEM_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("basic", {"type": "http", "scheme": "basic",
                                              "description": "/engine-rest: a user name and one of its API tokens"})
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        meta = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if meta is None:
            continue
        path = path_parameters(rule)[0]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = _operation_dict(app, rule, method, meta)
            if path.startswith("/api/v1"):
                op["security"] = [{"bearer": []}]
            if "tag" in meta:  # routes of another API (/engine-rest) group under a tag
                op["tags"] = [meta["tag"]]
                op["security"] = [{"basic": []}, {"bearer": []}]
            paths.setdefault(path, {})[method.lower()] = op
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _add_schema_extras(document, plugin)
    return document


docs = Blueprint("docs", __name__)


@docs.get("/api/v1/openapi.json")
def openapi_json():
    return jsonify(build_openapi(current_app))


@docs.get("/api/docs")
def api_docs():
    return render_template("api_docs.html", spec=build_openapi(current_app))
