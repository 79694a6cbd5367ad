"""Input and output mappings (camunda:inputOutput, zeebe:ioMapping), applied as tasks run.

Inputs are evaluated against the variables a task inherits when it becomes ready and set as its
local variables; when it completes, outputs are evaluated against its variables and the inputs are
dropped again, before anything after it inherits them. This is Camunda's behaviour for local
input variables; other variables a task sets still flow on, and so do a handler's (or an external
worker's) outputs named like an input. While a task waits (a user task, a retry, a worker), the
instance's variables leave its inputs out and show what they hide; its form and its external worker
see them (engine.store.local_variables).
"""
from __future__ import annotations

from typing import Any

from engine.store.local_variables import ABSENT, SHADOWED

VALUE_KINDS = ("text", "expression", "list", "map", "script")


def evaluate_value(value: dict, task) -> Any:
    """The value of one parameter (see bpmn.extensions for the shapes)."""
    engine = task.workflow.script_engine
    if "text" in value:
        return value["text"]
    if "expression" in value:
        return engine.evaluate(task, value["expression"])
    if "list" in value:
        return [evaluate_value(item, task) for item in value["list"]]
    if "map" in value:
        return {key: evaluate_value(item, task) for key, item in value["map"].items()}
    if "script" in value:
        # An inline script parameter yields its value: Fuse evaluates it as one expression.
        return engine.evaluate(task, value["script"])
    raise ValueError(f"unknown parameter value {value!r}")


def _apply_inputs(_workflow, task) -> None:
    inputs = task.task_spec.extensions.get("inputs", [])
    values = [(param["name"], evaluate_value(param["value"], task)) for param in inputs]
    # SpiffWorkflow has one data dict per task, not scopes: remember what a local input hides.
    task.internal_data.setdefault(SHADOWED, {name: task.data.get(name, ABSENT) for name, _ in values})
    task.data.update(values)


def _apply_outputs(_workflow, task) -> None:
    extensions = task.task_spec.extensions
    outputs = [(param["name"], evaluate_value(param["value"], task)) for param in extensions.get("outputs", [])]
    shadowed = task.internal_data.pop(SHADOWED, {})
    produced = set(task.internal_data.pop("fuse_handler_outputs", []))  # engine.runtime.service_calls.HANDLER_OUTPUTS
    for param in extensions.get("inputs", []):
        if param["name"] in produced:
            continue
        previous = shadowed.get(param["name"], ABSENT)
        if previous == ABSENT:
            task.data.pop(param["name"], None)
        else:
            task.data[param["name"]] = previous
    task.data.update(outputs)


def attach_io_mappings(spec, subprocess_specs: dict) -> None:
    """Connect the mappings of every task spec that has any (once per set of specs: engine.runtime.instance_specs)."""
    for process in (spec, *subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            extensions = getattr(task_spec, "extensions", None) or {}
            if extensions.get("inputs"):
                task_spec.ready_event.connect(_apply_inputs)
            if extensions.get("inputs") or extensions.get("outputs"):
                task_spec.completed_event.connect(_apply_outputs)


def initiator_variables(spec, actor: str | None) -> dict:
    """camunda:initiator on a start event names a variable that holds who started the instance."""
    return {task_spec.extensions["initiator"]: actor for task_spec in spec.task_specs.values()
            if (getattr(task_spec, "extensions", None) or {}).get("initiator")}
