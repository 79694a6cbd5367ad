"""Sub-processes whose activity is gone: cancelled with it, not left running without an owner.

Cancelling a multi-instance activity (an interrupting boundary event, an interrupting event
sub-process, a terminate end event) makes SpiffWorkflow drop its unfinished instances from the
tree without cancelling them: an instance that is a sub-process keeps its workflow, whose owner
can no longer be found, and whose waiting events stay subscribed. Here such workflows are
cancelled (which withdraws their waits) and removed, nested ones too.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

LIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


def _orphans(top) -> list:
    """Ids (owner task ids) of the sub-processes whose owner task is in no workflow."""
    known = set(top.tasks)
    for workflow in top.subprocesses.values():
        known.update(workflow.tasks)
    return [owner_id for owner_id, workflow in top.subprocesses.items() if workflow.parent_task_id not in known]


def cancel_orphaned_subprocesses(top) -> list:
    """Cancel and remove every sub-process of `top` whose activity is gone; returns the BPMN tasks
    that were still live in them (their history says they were cancelled)."""
    orphans = _orphans(top)
    if not orphans:
        return []
    # Taken first: cancelling one workflow cancels the ones inside it too.
    live = {owner_id: [t for t in workflow.tasks.values() if t.state & LIVE and getattr(t.task_spec, "bpmn_id", None)]
            for owner_id, workflow in top.subprocesses.items()}
    cancelled = []
    while orphans:
        for owner_id in orphans:
            workflow = top.subprocesses[owner_id]
            cancelled += live.get(owner_id, [])
            if not workflow.completed:
                top.cancel(workflow)
            # Inner sub-processes lose their owner with this workflow: the next round takes them.
            del top.subprocesses[owner_id]
        orphans = _orphans(top)
    return cancelled
