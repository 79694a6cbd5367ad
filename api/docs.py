"""OpenAPI: views describe themselves with @operation; the document is built from the app's routes."""
from __future__ import annotations

from typing import Callable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify, render_template

ERROR_STATUSES = {400: "Bad request", 401: "No valid token", 403: "Not allowed", 404: "Not found",
                  409: "Conflict", 413: "Model over a size limit (the problem's `limit` names the setting)",
                  422: "Invalid model or data",
                  503: "Too many compilations at once; retry after the Retry-After header's seconds"}


def operation(summary: str, *, response=None, status: int = 200, body=None, query=None,
              errors: tuple[int, ...] = (401,), content: str = "application/json", multipart: dict | None = None,
              also: dict[str, dict] | None = None):
    """Attach OpenAPI metadata to a view; it changes nothing about how the view runs.

    `also` lists other media types the success response comes in (by Accept), with their schemas.
    """
    def wrap(view: Callable) -> Callable:
        view.openapi = dict(summary=summary, response=response, status=status, body=body, query=query,
                            errors=errors, content=content, multipart=multipart, also=also or {})
        return view
    return wrap


def _operation_dict(meta: dict, path_params: list[str]) -> dict:
    op: dict = {"summary": meta["summary"], "responses": {}}
    params = [{"in": "path", "name": p, "required": True, "schema": {"type": "string"}} for p in path_params]
    if meta["query"] is not None:
        params.append({"in": "query", "schema": meta["query"]})
    if params:
        op["parameters"] = params
    if meta["body"] is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta["body"]}}}
    if meta["multipart"]:
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": meta["multipart"]}}}}
    ok: dict = {"description": "OK"}
    if meta["response"] is not None:
        ok["content"] = {meta["content"]: {"schema": meta["response"]}}
    for media_type, schema in meta.get("also", {}).items():
        ok.setdefault("content", {})[media_type] = {"schema": schema}
    op["responses"][str(meta["status"])] = ok
    for status in meta["errors"]:
        op["responses"][str(status)] = {"description": ERROR_STATUSES[status], "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    return op


def build_openapi(app: Flask) -> dict:
    """The OpenAPI 3 document for every route whose view carries @operation metadata."""
    spec = APISpec(title="Fuse", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": "Deploy BPMN, run process instances, work on user tasks."})
    spec.components.schema("Problem", {"type": "object", "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}}})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        meta = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if meta is None:
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<{arg}>", f"{{{arg}}}").replace(f"<path:{arg}>", f"{{{arg}}}")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = _operation_dict(meta, sorted(rule.arguments))
            if path.startswith("/api/v1"):
                op["security"] = [{"bearer": []}]
            if "tag" in meta:  # routes of another API (/engine-rest) group under a tag and state their own errors
                op["tags"] = [meta["tag"]]
                op["responses"].update(meta.get("error_responses", {}))
            paths.setdefault(path, {})[method.lower()] = op
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


docs = Blueprint("docs", __name__)


@docs.get("/api/v1/openapi.json")
def openapi_json():
    return jsonify(build_openapi(current_app))


@docs.get("/api/docs")
def api_docs():
    return render_template("api_docs.html", spec=build_openapi(current_app))
