"""Keeps a long-running workflow's task tree small by dropping finished history from it.

SpiffWorkflow keeps every task it ever ran in the tree: a loop makes the tree deeper each
iteration, its task iterator silently stops at depth 1000, and every step walks all of it.
Fuse records history in its own table, so finished tasks in the middle of finished chains can
go. A task is dropped only where nothing in SpiffWorkflow can still look at it:
- it and its parent completed, it has exactly one child and that child is finished (so the child
  already took its data and will not inherit again);
- the child is not a join (joins read their inputs' parents' data) and the task is not an event
  split (boundary and start-event joins look their split up as an ancestor);
- it is not the workflow's `last_task` (sub-processes copy their result from it).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.control import EventSplit
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

FINISHED = TaskState.COMPLETED | TaskState.CANCELLED


def _droppable(task, workflow) -> bool:
    if task.state != TaskState.COMPLETED or len(task._children) != 1 or task is workflow.last_task:
        return False
    parent = task.parent
    if parent is None or parent.state != TaskState.COMPLETED:
        return False
    if isinstance(task.task_spec, EventSplit):
        return False
    child = workflow.tasks.get(task._children[0])
    return child is not None and child.state & FINISHED and not isinstance(child.task_spec, Join)


def prune_finished(workflow, top_workflow=None) -> int:
    """Splice finished tasks out of `workflow`'s tree; returns how many were dropped."""
    top = top_workflow or workflow
    dropped = 0
    for task in [t for t in workflow.tasks.values() if _droppable(t, workflow)]:
        # Re-check: an earlier splice in this pass may have changed the neighbours.
        if not _droppable(task, workflow):
            continue
        if task.id in top.subprocesses:
            # First, while the task can still be found: SpiffWorkflow looks sub-processes' owners up.
            top.delete_subprocess(task)
        parent, child_id = task.parent, task._children[0]
        parent._children[parent._children.index(task.id)] = child_id
        workflow.tasks[child_id]._parent = parent.id
        del workflow.tasks[task.id]
        dropped += 1
    return dropped
