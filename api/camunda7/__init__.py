"""Camunda 7's REST API at /engine-rest, on the same engine as /api/v1 (docs/camunda7-rest.md lists what is served).

Building blocks for every endpoint family (add a module per family, with its blueprint in BLUEPRINTS):
- blueprint.camunda_blueprint: the prefix, authentication (auth: Basic user name + API token, or Bearer),
  the route rules of api/permissions.py (every route needs a row there, as under /api/v1);
  invalid()/not_found() raise Camunda's 400/404, json_object() reads a body, link() writes a HATEOAS link.
- errors: every error under the prefix in Camunda's body {type, message, code}: engine errors are mapped
  by api.errors.ERROR_DIALECTS, CamundaError says exactly what to answer.
- variables: typed values {value, type, valueInfo} both ways. A view that writes variables reads them with
  declared_values(body["variables"]) -> (values, types), runs the engine command with `values`, then calls
  engine.instances.variable_types.remember_types(instance_row, types) in the same transaction; one that reads
  them answers typed_instance_variables(row) (or typed_values(values, declared_types(row))), so reading gives
  the type written.
- queries: Camunda's query parameters (true/false, firstResult/maxResults, sortBy+sortOrder, lists).
- shapes: rows as Camunda's DTOs. openapi.camunda_operation: the OpenAPI entry under the Camunda tag.
"""
from __future__ import annotations

from flask import Flask

from api.camunda7 import (
    definitions,
    deployments,
    events,
    external_tasks,
    history,
    incidents,
    instances,
    tasks,
)
from api.camunda7.blueprint import ResourceId
from api.camunda7.errors import (
    PREFIX,
    CamundaError,
    handle_camunda_error,
    render_problem,
)
from api.errors import ERROR_DIALECTS

BLUEPRINTS = (deployments.bp, definitions.bp, instances.bp, tasks.bp, events.bp, external_tasks.bp, incidents.bp,
              history.bp)


def init_camunda7(app: Flask) -> None:
    """Mount /engine-rest: its blueprints and its error body."""
    ERROR_DIALECTS[PREFIX] = render_problem
    app.url_map.converters["id"] = ResourceId  # before the routes that use it are made
    app.register_error_handler(CamundaError, handle_camunda_error)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
