"""Keeps a long-running workflow's task tree small by dropping finished history from it.

SpiffWorkflow keeps every task it ever ran in the tree: a loop makes the tree deeper each
iteration, its task iterator silently stops at depth 1000, and every step walks all of it.
Fuse records history in its own table, so finished tasks can go where nothing in SpiffWorkflow
can still look at them. Two rules:

1. A finished chain link: a completed task whose parent completed, with exactly one child that is
   finished too (so the child already took its data and will not inherit again), is spliced out.
2. A dead branch: a finished sub-tree hanging off a finished task, with nothing unfinished in it
   (a cancelled boundary event, the branch of a parallel split whose join already fired), is cut off.

Joins read data from their inputs' tasks (a parallel join merges the data of the branches that
arrived), and boundary-event joins find their split as an ancestor. So nothing is dropped while a
join is ready to run, a split is kept while its join has not fired, and a task in front of a join
that has not completed is kept. The workflow's `last_task` is kept: sub-processes copy their result
from it.

Which tasks are finished, ready or changed comes from the workflow's task index (bpmn.tree): a pass
looks at the finished tasks (few, since pruning keeps them few) and their neighbours, not at every
task; walking the predicted tasks of a long chain made every step cost the chain's length.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.control import EventSplit
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from bpmn.task_index import forget, task_index

FINISHED = TaskState.COMPLETED | TaskState.CANCELLED


def _in_state(workflow, mask: int) -> list:
    """The workflow's tasks in these states: from its index, else (a workflow not built by Fuse) all of them."""
    if (index := task_index(workflow)) is not None:
        return index.in_state(mask)
    return [t for t in workflow.tasks.values() if t.state & mask]


def ready_tasks(workflow) -> list:
    """The workflow's READY tasks (from its index when it has one)."""
    return _in_state(workflow, TaskState.READY)


def _join_pending(workflow) -> bool:
    """A join that is about to run still needs its inputs' tasks."""
    return any(isinstance(t.task_spec, Join) for t in _in_state(workflow, TaskState.READY))


def _droppable(task, workflow) -> bool:
    if task.state != TaskState.COMPLETED or len(task._children) != 1 or task is workflow.last_task:
        return False
    parent = task.parent
    if parent is None or parent.state != TaskState.COMPLETED:
        return False
    child = workflow.tasks.get(task._children[0])
    if child is None or not child.state & FINISHED:
        return False
    if isinstance(task.task_spec, EventSplit) or isinstance(child.task_spec, Join):
        # Only once the join has fired does nothing look back through it.
        return child.state == TaskState.COMPLETED
    return True


def _live_below(workflow) -> set:
    """Ids of every finished task that has an unfinished descendant (unfinished tasks are live too:
    see _is_live). Such a descendant has an unfinished ancestor-or-self right below a finished task
    (or at the root), so walking up from those few marks them all."""
    live = set()
    finished = _in_state(workflow, FINISHED)
    starts = [child for task in finished for child in task.children if child is not None and not child.state & FINISHED]
    root = workflow.task_tree
    if root is not None and not root.state & FINISHED:
        starts.append(root)
    for task in starts:
        node = task.parent
        while node is not None and node.id not in live:
            live.add(node.id)
            node = node.parent
    return live


def _is_live(task, live: set) -> bool:
    return not task.state & FINISHED or task.id in live


def _subtree(task) -> list:
    found, stack = [], [task]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found


def prune_finished(workflow, top_workflow=None) -> int:
    """Drop finished tasks from `workflow`'s tree (see the module docstring); returns how many."""
    top = top_workflow or workflow
    if _join_pending(workflow):
        return 0
    dropped = _cut_dead_branches(workflow, top)
    for task in [t for t in _in_state(workflow, TaskState.COMPLETED) if _droppable(t, workflow)]:
        # Re-check: an earlier splice in this pass may have changed the neighbours.
        if not _droppable(task, workflow):
            continue
        if task.id in top.subprocesses:
            # First, while the task can still be found: SpiffWorkflow looks sub-processes' owners up.
            top.delete_subprocess(task)
        parent, child_id = task.parent, task._children[0]
        parent._children[parent._children.index(task.id)] = child_id
        workflow.tasks[child_id]._parent = parent.id
        forget(workflow, task)
        del workflow.tasks[task.id]
        dropped += 1
    return dropped


def _cut_dead_branches(workflow, top) -> int:
    live = _live_below(workflow)
    dropped = 0
    for task in _in_state(workflow, TaskState.COMPLETED):
        if task.id not in live or task.state != TaskState.COMPLETED or len(task._children) < 2:
            continue
        for child in [c for c in task.children if not _is_live(c, live)]:
            if any(node is workflow.last_task for node in _subtree(child)):
                continue
            for node in _subtree(child):
                if node.id in top.subprocesses:
                    top.delete_subprocess(node)
            for node in _subtree(child):
                forget(workflow, node)
                workflow.tasks.pop(node.id, None)
                dropped += 1
            task._children.remove(child.id)
    return dropped
