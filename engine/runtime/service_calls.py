"""Calling a service task's handler: inputs in, outputs or a BPMN error out, failures retried.

The runner calls `ServiceCaller.call(task)` before running a ready service task. Whatever happens
is written into the task (internal_data) and the history; the rows that follow from it (retry
jobs, external tasks, incidents) are written when the instance is saved.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition

from bpmn.expressions.juel import is_juel
from bpmn.specs import SERVICE_DONE
from engine.runtime.async_boundaries import EXTERNAL, INCIDENT, RETRY_AT, THREW
from engine.runtime.event_routing import Thrown, throw
from engine.handlers.base import BpmnError, HandlerContext, outputs_of
from engine.handlers.registry import find_handler
from engine.history.recorder import HistoryRecorder
from engine.identity.users import Actor
from engine.telemetry.log_context import log_context
from engine.telemetry.metrics import BPMN_ERROR, UNREGISTERED, handler_called, handler_failed
from engine.store.models import utcnow
from engine.runtime.observer import ACTOR
from engine.runtime.retry_policy import retry_policy
from engine.errors import InvalidValue, VariableTooLarge
from engine.store.variable_values import check_variables

log = logging.getLogger("fuse.handlers")
ATTEMPTS = "fuse_attempts"
HANDLER_OUTPUTS = "fuse_handler_outputs"
INCIDENT_ERROR = "fuse_incident_error"


@dataclass
class CallSite:
    """What the caller knows about the instance a task belongs to."""

    instance_id: str
    business_key: str | None
    history: HistoryRecorder
    resources: Callable[[str], bytes]
    # Who gave the command that runs the instance now (None: nobody, e.g. the worker); handlers see them.
    person: Actor | None = None


def handler_name(handler: dict) -> tuple[str | None, bool]:
    """(name, external_if_unknown) for a task's handler binding."""
    kind = handler.get("kind")
    if kind == "external":
        return handler.get("topic"), True
    if kind == "job":
        return handler.get("type"), True
    if kind == "class":
        return handler.get("class"), False
    if kind == "delegate_expression":
        text = handler.get("delegate_expression", "")
        return text.strip()[2:-1].strip() if is_juel(text) else text, False  # ${name} names the handler
    return None, False


class ServiceCaller:
    """Calls handlers for one instance during one command."""

    def __init__(self, site: CallSite):
        self.site = site
        self.moved = False

    def call(self, task) -> bool:
        """Call the task's handler. True: the task may now run (its outputs are in place). False:
        it waits (a retry, a worker, an incident), or a BPMN error it threw moved the flow on
        (`self.moved` tells the runner so)."""
        self.moved = False
        extensions = task.task_spec.extensions
        handler = extensions.get("handler", {})
        if handler.get("kind") == "expression":
            return self._expression(task, handler["expression"], extensions)
        name, external = handler_name(handler)
        function = find_handler(name) if name else None
        if function is None:
            if external:
                task.internal_data[EXTERNAL] = name
                self.site.history.record("external_task_created", activity_id=task.task_spec.bpmn_id,
                                         data={"topic": name})
                return False
            # A configuration error: trying again in seconds cannot help, so straight to an incident.
            handler_failed(str(name), UNREGISTERED)
            return self._failed(task, name, f"no handler is registered under the name '{name}'", 0.0, retryable=False)
        return self._invoke(task, name, function, extensions)

    def _inputs(self, task, extensions: dict) -> dict:
        names = [param["name"] for param in extensions.get("inputs", [])]
        return {n: task.data.get(n) for n in names} if names else dict(task.data)

    def _invoke(self, task, name: str, function, extensions: dict) -> bool:
        attempt = task.internal_data.get(ATTEMPTS, 0) + 1
        config = {**extensions.get("properties", {}), **extensions.get("task_headers", {})}
        context = HandlerContext(self.site.instance_id, self.site.business_key, task.task_spec.bpmn_id,
                                 attempt, config, self.site.resources, actor=self.site.person)
        inputs = self._inputs(task, extensions)
        began = time.perf_counter()
        try:
            with log_context(activity_id=task.task_spec.bpmn_id):
                outputs = outputs_of(function(inputs, context))
        except Exception as err:  # noqa: BLE001 - a BPMN error is routed; any other is retried, then an incident
            seconds = time.perf_counter() - began
            handler_called(name, seconds)
            handler_failed(name, BPMN_ERROR if isinstance(err, BpmnError) else type(err).__name__)
            self._audit(task, context, name)
            if isinstance(err, BpmnError):
                return self._bpmn_error(task, err)
            task.internal_data[ATTEMPTS] = attempt
            return self._failed(task, name, f"{type(err).__name__}: {err}", seconds)
        seconds = time.perf_counter() - began
        handler_called(name, seconds)
        self._audit(task, context, name)
        if refused := _unstorable(outputs, extensions):
            # The handler would return the same again: no retry, an incident naming the variable.
            task.internal_data[ATTEMPTS] = attempt
            return self._failed(task, name, f"the handler returned {refused}", seconds, retryable=False)
        called = {"handler": name, "attempt": attempt, "duration_ms": round(seconds * 1000, 3)}
        if extensions.get("inputs"):  # declared input parameters (all variables otherwise: not copied)
            called["inputs"] = inputs
        self.site.history.record("handler_called", activity_id=task.task_spec.bpmn_id, actor=f"handler:{name}",
                                 data=called)
        task.internal_data[ACTOR] = f"handler:{name}"
        return self._done(task, outputs, extensions)

    def _expression(self, task, expression: str, extensions: dict) -> bool:
        value = task.workflow.script_engine.evaluate(task, expression)
        target = extensions.get("result_variable")
        if refused := _unstorable({target: value} if target else {}, {}):
            raise WorkflowTaskException(f"the expression gave {refused}", task=task)
        return self._done(task, {target: value} if target else {}, {})

    def _done(self, task, outputs: dict, extensions: dict) -> bool:
        if target := extensions.get("result_variable"):
            task.data[target] = outputs
            task.internal_data[HANDLER_OUTPUTS] = [target]
        else:
            task.data.update(outputs)
            # A handler's outputs outlive input parameters of the same name (see io_mapping).
            task.internal_data[HANDLER_OUTPUTS] = list(outputs)
        task.internal_data.pop(ATTEMPTS, None)
        task.internal_data[SERVICE_DONE] = True
        return True

    def _audit(self, task, context: HandlerContext, name: str) -> None:
        for event_type, data in context.audit:
            self.site.history.record(event_type, activity_id=task.task_spec.bpmn_id, actor=f"handler:{name}",
                                     data=data)

    def _failed(self, task, handler: str | None, error: str, seconds: float, retryable: bool = True) -> bool:
        attempt = task.internal_data.get(ATTEMPTS, 1)
        policy = retry_policy(task.task_spec.extensions)
        activity = task.task_spec.bpmn_id
        self.site.history.record("handler_failed", activity_id=activity, data={
            "attempt": attempt, "error": error, "duration_ms": round(seconds * 1000, 3)})
        will_retry = retryable and attempt < policy.tries
        log.warning("handler failed on attempt %d, %s: %s", attempt, "will retry" if will_retry else "no retry left",
                    error, extra={"instance_id": self.site.instance_id, "activity_id": activity, "handler": handler})
        if will_retry:
            task.internal_data[RETRY_AT] = (utcnow() + policy.delay_after(attempt)).isoformat()
            return False
        open_incident(task, error, self.site.history, self.site.instance_id)
        return False

    def _bpmn_error(self, task, err: BpmnError) -> bool:
        throw_bpmn_error(task, err.code, err.message, err.variables, self.site.history)
        self.moved = True
        return False


def _unstorable(outputs: dict, extensions: dict) -> str | None:
    """Why a handler's outputs cannot be stored, or None if they can."""
    if target := extensions.get("result_variable"):
        outputs = {target: outputs}
    try:
        check_variables(outputs)
    except (InvalidValue, VariableTooLarge) as err:
        return err.detail
    return None


def open_incident(task, error: str, history: HistoryRecorder, instance_id: str | None = None) -> str:
    incident_id = str(uuid.uuid4())
    task.internal_data[INCIDENT] = incident_id
    task.internal_data[INCIDENT_ERROR] = error
    history.record("incident_opened", activity_id=task.task_spec.bpmn_id,
                   data={"incident_id": incident_id, "error": error})
    log.error("incident opened: %s", error, extra={
        "instance_id": instance_id, "activity_id": task.task_spec.bpmn_id, "incident_id": incident_id})
    return incident_id


def throw_bpmn_error(task, code: str, message: str, variables: dict, history: HistoryRecorder) -> None:
    """Throw a BPMN error from a task: the nearest error boundary event or event sub-process
    catches it (engine.runtime.event_routing); if nothing does, the instance fails naming the code."""
    payload = {**variables, "errorCode": code, "errorMessage": message}
    throw(task, Thrown(ErrorEventDefinition, code, message, payload), history, activity=task)
    task.internal_data[THREW] = code


