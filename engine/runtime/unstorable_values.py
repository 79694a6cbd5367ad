"""The last line of defence before an instance is written: values that cannot be stored are dropped.

Scripts, handlers and the API check values where they enter (engine.store.variable_values). Should a
value slip past them (an expression of an input/output mapping, a value stored by an older version),
the save would fail and the instance could not be written at all; instead the save drops such
values from every task, fails the instance naming them, and writes what remains.
"""
from __future__ import annotations

from engine.runtime.observer import all_workflows
from engine.store.variable_values import sort_variables


class UnstorableValues(Exception):
    """Values were dropped; `task` is the newest task that held one (the instance fails there)."""

    def __init__(self, message: str, task):
        super().__init__(message)
        self.task = task


def drop_unstorable_values(workflow) -> UnstorableValues | None:
    """Remove from every task's data (and the workflow's) the values that cannot be stored; the
    error to fail the instance with, or None if every value could be stored."""
    reasons: dict[str, str] = {}
    newest = None
    for wf in all_workflows(workflow):
        for holder in [wf, *wf.tasks.values()]:
            _, refused = sort_variables(holder.data)
            for name, why in refused.items():
                del holder.data[name]
                reasons.setdefault(name, why)
            if refused and hasattr(holder, "task_spec") and (
                    newest is None or holder.last_state_change > newest.last_state_change):
                newest = holder
    if not reasons:
        return None
    return UnstorableValues("a value that cannot be stored was dropped: " + "; ".join(reasons.values()), newest)
