"""A task's local variables: its input parameters, kept in its data beside the process variables.

SpiffWorkflow has one data dict per task, not variable scopes. A task with input parameters
(engine.runtime.io_mapping) remembers under SHADOWED, in its internal_data, the process value each
input hides (ABSENT when there was none); those names are its local variables. The process sees a
waiting task's data without them, with what they hide (Camunda: a local variable shadows the
process's); the task itself - its form, its external worker - sees them.
"""
from __future__ import annotations

import json

from engine.store.serialization import serializer

SHADOWED = "fuse_shadowed"  # internal_data: {input name: the process value it hides, or ABSENT}
ABSENT = {"fuse": "absent"}


def local_variables(data: dict, internal_data: dict) -> dict:
    """The task's input parameters and their values."""
    return {name: data[name] for name in internal_data.get(SHADOWED) or {} if name in data}


def process_view(data: dict, internal_data: dict) -> dict:
    """The task's data as the process sees it: its locals out, the values they hide back."""
    shadowed = internal_data.get(SHADOWED) or {}
    if not shadowed:
        return data
    visible = {name: value for name, value in data.items() if name not in shadowed}
    visible.update({name: value for name, value in shadowed.items() if value != ABSENT})
    return visible


def set_process_values(data: dict, internal_data: dict, values: dict) -> None:
    """Set process variables in a task's data; a name its local hides changes what returns after it."""
    shadowed = internal_data.get(SHADOWED) or {}
    for name, value in values.items():
        if name in shadowed:
            shadowed[name] = value
        else:
            data[name] = value


def remove_process_values(data: dict, internal_data: dict, names: list[str]) -> None:
    """Remove process variables from a task's data; a local of the same name stays, what it hides goes."""
    shadowed = internal_data.get(SHADOWED) or {}
    for name in names:
        if name in shadowed:
            shadowed[name] = ABSENT
        else:
            data.pop(name, None)


def stored_local_variables(workflow_state: str, task_id: str) -> dict:
    """The local variables of one task of a stored instance state (empty if it has none)."""
    if f'"{SHADOWED}"' not in workflow_state:
        return {}  # no task of the instance has input parameters: no need to read the state
    ser = serializer()
    state = json.loads(workflow_state, cls=ser.json_decoder_cls)
    for tasks in _task_maps(state):
        if (task := tasks.get(task_id)) is not None:
            names = (ser.registry.restore(task.get("internal_data", {})).get(SHADOWED) or {})
            found = {name: _stored_value(tasks, task_id, name) for name in names}
            return {name: ser.registry.restore(value) for name, value in found.items() if value is not _MISSING}
    return {}


_MISSING = object()


def _stored_value(tasks: dict, task_id: str, name: str):
    """A variable's value in a stored task: SpiffWorkflow stores each task's data as changes to its
    parent's, so the value is in the nearest task (upwards) that set it."""
    while (task := tasks.get(task_id)) is not None:
        delta = task.get("delta") or {}
        if task.get("parent") is None or not delta:
            return task.get("data", {}).get(name, _MISSING)
        if name in delta.get("updates", {}):
            return delta["updates"][name]
        if name in delta.get("deletions", []):
            return _MISSING
        task_id = task["parent"]
    return _MISSING


def _task_maps(state: dict):
    yield state.get("tasks", {})
    for sub in (state.get("subprocesses") or {}).values():
        yield sub.get("tasks", {})
