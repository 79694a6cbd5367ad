"""/engine-rest: message correlation (POST /message) and signals (POST /signal).

Camunda 7 correlates a message by the waiting executions' process variables (correlationKeys): here those
are the waiting instances' variables, which must all have the values given. Without `all`, the message must
match exactly one waiting instance or one message start event: none, or several waiting instances, is
Camunda's 400 with its words. With `all`, none is not an error (Camunda's correlateAll).
"""
from __future__ import annotations

from api.auth import current_actor
from api.blueprints import commit
from api.camunda7.blueprint import camunda_blueprint, invalid, json_object
from api.camunda7.openapi import camunda_operation
from api.camunda7.shapes import instance_dto
from api.camunda7.variables import declared_values, typed_instance_variables
from api.extensions import db
from engine.errors import NoRecipient, SeveralRecipients
from engine.events.messages import Delivery, broadcast_signal, correlate_message
from engine.instances.variable_types import remember_types
from engine.store.models import ProcessInstance
from engine.store.states import InstanceState

bp = camunda_blueprint("camunda7_events", __name__)
TYPED = {"type": "object", "nullable": True, "description": "typed values by name: {value, type, valueInfo}"}
TEXT = {"type": "string", "nullable": True}
MESSAGE_BODY = {"type": "object", "properties": {
    "messageName": {"type": "string"}, "businessKey": TEXT, "processInstanceId": TEXT, "tenantId": TEXT,
    "withoutTenantId": {"type": "boolean"}, "correlationKeys": TYPED, "localCorrelationKeys": TYPED,
    "processVariables": TYPED, "processVariablesLocal": TYPED, "processVariablesToTriggeredScope": TYPED,
    "all": {"type": "boolean"}, "resultEnabled": {"type": "boolean"}, "variablesInResultEnabled": {"type": "boolean"}}}
SIGNAL_BODY = {"type": "object", "properties": {
    "name": {"type": "string"}, "executionId": TEXT, "variables": TYPED, "tenantId": TEXT,
    "withoutTenantId": {"type": "boolean"}}}


def _no_tenant(body: dict) -> None:
    if body.get("tenantId") is not None:
        raise invalid("Fuse has no tenants: tenantId must be null")


def _name(body: dict, field: str, what: str) -> str:
    name = body.get(field)
    if not isinstance(name, str) or not name.strip():
        raise invalid(f"No {what} name given")
    return name


def _result(row: ProcessInstance, started: bool, with_variables: bool) -> dict:
    """One MessageCorrelationResultWithVariableDto: an execution it woke, or an instance it started."""
    execution = {"id": row.id, "processInstanceId": row.id, "ended": InstanceState(row.state).is_ended,
                 "tenantId": None}
    result = {"resultType": "ProcessDefinition" if started else "Execution",
              "execution": None if started else execution, "processInstance": instance_dto(row) if started else None}
    if with_variables:
        result["variables"] = typed_instance_variables(row)
    return result


def _touched(delivery: Delivery) -> list[tuple[ProcessInstance, bool]]:
    return ([(db.session.get(ProcessInstance, i), False) for i in delivery.delivered]
            + [(db.session.get(ProcessInstance, i), True) for i in delivery.started])


@bp.post("/message")
@camunda_operation("Correlate a message: to the one instance waiting for it (by businessKey, processInstanceId, "
                   "correlationKeys as variable values), or start one at its message start event; all=true: "
                   "every match. 204, or 200 with the results when resultEnabled", status=204, body=MESSAGE_BODY,
                   errors=(400, 401, 403))
def correlate():
    body = json_object()
    name = _name(body, "messageName", "message")
    _no_tenant(body)
    # Fuse has no variable scopes below the instance: every kind of process variable is set on the instance.
    values, types = {}, {}
    for field in ("processVariables", "processVariablesLocal", "processVariablesToTriggeredScope"):
        more_values, more_types = declared_values(body.get(field))
        values.update(more_values)
        types.update(more_types)
    keys, _ = declared_values(body.get("correlationKeys"))
    local_keys, _ = declared_values(body.get("localCorrelationKeys"))
    every = body.get("all") is True
    try:
        delivery = correlate_message(
            db.session, current_actor(), name, business_key=body.get("businessKey"),
            instance_id=body.get("processInstanceId"), variables=values,
            variables_equal={**keys, **local_keys} or None, deliver_to_all=every)
    except NoRecipient:
        if not every:
            raise invalid(f"Cannot correlate message '{name}': No process definition or execution matches the "
                          "parameters") from None
        delivery = Delivery()
    except SeveralRecipients as err:
        raise invalid(f"Cannot correlate a message with name '{name}' to a single execution. {err.count} "
                      "executions match the correlation keys") from None
    touched = _touched(delivery)
    for row, _ in touched:
        remember_types(row, types)
    answer = ([_result(row, started, body.get("variablesInResultEnabled") is True) for row, started in touched]
              if body.get("resultEnabled") is True else None)
    commit()
    return (answer, 200) if answer is not None else ("", 204)


@bp.post("/signal")
@camunda_operation("Throw a signal: every waiting signal catch event and signal start event takes it (with "
                   "executionId: only that instance's)", status=204, body=SIGNAL_BODY, errors=(400, 401, 403))
def throw_signal():
    body = json_object()
    name = _name(body, "name", "signal")
    _no_tenant(body)
    values, types = declared_values(body.get("variables"))
    delivery = broadcast_signal(db.session, current_actor(), name, values, instance_id=body.get("executionId"))
    for row, _ in _touched(delivery):
        remember_types(row, types)
    commit()
    return "", 204
