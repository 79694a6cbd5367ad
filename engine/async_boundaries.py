"""Async continuations (camunda:asyncBefore / asyncAfter): where a run stops and a job takes over.

asyncBefore: a task that becomes ready waits until a job lets it run (the instance is committed
first, so a slow or failing task never takes the caller's request down with it).
asyncAfter: once the task completes, what follows it waits for a job the same way.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

PASSED = "fuse_async_passed"   # internal_data: the task's asyncBefore job ran
HELD_AFTER = "fuse_held_after"  # internal_data: this task waits for its predecessor's asyncAfter job


def _extensions(task) -> dict:
    return getattr(task.task_spec, "extensions", None) or {}


def is_held(task) -> bool:
    """True while a READY task waits at an async boundary for its job."""
    if task.internal_data.get(HELD_AFTER):
        return True
    return bool(_extensions(task).get("async_before")) and not task.internal_data.get(PASSED)


def hold_successors(task) -> list:
    """After an asyncAfter task completes, hold what became ready after it; returns those held."""
    if not _extensions(task).get("async_after"):
        return []
    held = [child for child in task.children if child.state & (TaskState.READY | TaskState.FUTURE)]
    for child in held:
        child.internal_data[HELD_AFTER] = str(task.id)
    return held


def release(task) -> None:
    """Let a held task run (its job is running now)."""
    task.internal_data.pop(HELD_AFTER, None)
    if _extensions(task).get("async_before"):
        task.internal_data[PASSED] = True


def held_tasks(workflows) -> list:
    """Every READY task of these workflows that waits for an async job."""
    return [t for wf in workflows for t in wf.tasks.values() if t.state == TaskState.READY and is_held(t)]
