"""Why a READY task is not run now, and which job (if any) will let it run.

A task waits (is "held") when:
- asyncBefore: it became ready and waits for its `continue` job (the instance is committed first);
- asyncAfter: its predecessor completed and it waits for the `continue` job after it;
- its handler failed and a `retry` job is due later;
- it is an external task, waiting for a worker outside Fuse (no job: the worker completes it);
- it has an open incident (no job: someone retries or resolves it);
- it threw a BPMN error, and the boundary event that caught it is about to end it.
All of this lives in the task's internal_data, so it survives in the instance's state.
"""
from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.util.task import TaskState

from engine.store.models import utcnow

PASSED = "fuse_async_passed"    # the task's asyncBefore job ran
HELD_AFTER = "fuse_held_after"  # waits for its predecessor's asyncAfter job
RETRY_AT = "fuse_retry_at"      # ISO time of the next try of a failed handler
EXTERNAL = "fuse_external"      # topic: waits for an external worker
INCIDENT = "fuse_incident"      # id of the open incident
THREW = "fuse_threw"            # threw a BPMN error: the catching boundary event ends it
WAIT_MARKERS = (HELD_AFTER, RETRY_AT, EXTERNAL, INCIDENT, THREW)

CONTINUE, RETRY = "continue", "retry"


def _extensions(task) -> dict:
    return getattr(task.task_spec, "extensions", None) or {}


def is_held(task) -> bool:
    """True while a READY task waits (see the module docstring)."""
    if any(task.internal_data.get(marker) for marker in WAIT_MARKERS):
        return True
    return bool(_extensions(task).get("async_before")) and not task.internal_data.get(PASSED)


def job_for(task) -> tuple[str, datetime] | None:
    """The job a held task waits for: (kind, due), or None when a person or worker must act."""
    if any(task.internal_data.get(marker) for marker in (EXTERNAL, INCIDENT, THREW)):
        return None
    if retry_at := task.internal_data.get(RETRY_AT):
        return RETRY, datetime.fromisoformat(retry_at)
    return CONTINUE, utcnow()


def hold_successors(task) -> list:
    """After an asyncAfter task completes, hold what became ready after it; returns those held."""
    if not _extensions(task).get("async_after"):
        return []
    held = [child for child in task.children if child.state & (TaskState.READY | TaskState.FUTURE)]
    for child in held:
        child.internal_data[HELD_AFTER] = str(task.id)
    return held


def release(task) -> None:
    """Let a held task run now (its job runs, or someone retried its incident)."""
    for marker in (HELD_AFTER, RETRY_AT, INCIDENT):
        task.internal_data.pop(marker, None)
    if _extensions(task).get("async_before"):
        task.internal_data[PASSED] = True


def held_tasks(workflows) -> list:
    """Every READY task of these workflows that waits for a job."""
    return [t for wf in workflows for t in wf.tasks.values()
            if t.state == TaskState.READY and is_held(t) and job_for(t) is not None]


def tasks_marked(workflows, marker: str) -> list:
    """READY tasks carrying a marker (EXTERNAL, INCIDENT)."""
    return [t for wf in workflows for t in wf.tasks.values()
            if t.state == TaskState.READY and t.internal_data.get(marker)]
