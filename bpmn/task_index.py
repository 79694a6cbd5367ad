"""A workflow's tasks by state and the tasks changed since Fuse last looked, and tasks in tree order.

Fuse's workflows (bpmn.tree) keep a `TaskIndex` up to date as tasks are added, change state and are
removed. Fuse's per-step bookkeeping reads it instead of walking every task: the history observer takes
the changed tasks (engine.runtime.observer), the pruning the finished and ready ones
(engine.runtime.pruning), the runner the READY tasks in the order SpiffWorkflow's iterator would give
them (`ready_in_order`), and the workflow updates its WAITING tasks from it. Walking the whole tree made
every step of a chain of N tasks cost N (its predicted tasks): with the index a step costs the same
whatever the length.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState


class TaskIndex:
    """A workflow's tasks by state, and those changed since `take_changed` (see the module docstring)."""

    def __init__(self, workflow):
        self.workflow = workflow
        self.by_state: dict[int, dict] = {}
        self.changed: dict = {}
        # In the top workflow's index only: the workflows that have READY tasks (by id), so that finding
        # them costs nothing per sub-process that has none (a multi-instance sub-process may have thousands).
        self.ready_scopes: dict = {}

    def add(self, task) -> None:
        self.by_state.setdefault(task._state, {})[task.id] = task
        self.changed[task.id] = task
        if task._state == TaskState.READY:
            self._note_ready()

    def move(self, task, before: int) -> None:
        self.by_state.get(before, {}).pop(task.id, None)
        self.add(task)
        if before == TaskState.READY:
            self._note_ready()

    def drop(self, task) -> None:
        self.by_state.get(task._state, {}).pop(task.id, None)
        self.changed.pop(task.id, None)
        if task._state == TaskState.READY:
            self._note_ready()

    def _note_ready(self) -> None:
        top = getattr(self.workflow, "top_workflow", None)
        if (scopes := getattr(task_index(top), "ready_scopes", None)) is None:
            return
        if self.by_state.get(TaskState.READY):
            scopes[id(self.workflow)] = self.workflow
        else:
            scopes.pop(id(self.workflow), None)

    def in_state(self, mask: int) -> list:
        """The tasks whose state is in `mask` (a list: callers may change states while they go)."""
        return [task for state, tasks in self.by_state.items() if state & mask for task in tasks.values()]

    def take_changed(self) -> list:
        """The tasks added or changed since the last call, in creation order."""
        changed, self.changed = self.changed, {}
        return sorted(changed.values(), key=lambda task: task.seq)


def task_index(workflow) -> TaskIndex | None:
    """The workflow's index; None for a workflow that is not of this module."""
    return getattr(workflow, "task_index", None)


def forget(workflow, task) -> None:
    """Take a task that is being removed from `workflow.tasks` by hand out of the index too."""
    if (index := task_index(workflow)) is not None:
        index.drop(task)


def tree_order(task) -> tuple:
    """The task's place in a depth-first walk of its workflow's tree: sorting by it gives the order in
    which SpiffWorkflow's task iterator meets tasks (a parent before its children, children in order)."""
    path, node = [], task
    while (parent := node.parent) is not None:
        path.append(parent._children.index(node.id))
        node = parent
    return tuple(reversed(path))


def _held(wf, top) -> bool:
    """Whether a workflow is `top` or one of its current sub-process workflows."""
    return wf is top or (wf.parent_task_id is not None and top.subprocesses.get(wf.parent_task_id) is wf)


def _owner(sub, top):
    """The task a sub-process workflow runs for, or None when it is gone (its workflow is remembered:
    looking it up walks every sub-process)."""
    known = getattr(sub, "owner_workflow", None)
    if known is not None and _held(known, top) and (task := known.tasks.get(sub.parent_task_id)) is not None:
        return task
    task = next((t for wf in [top, *top.subprocesses.values()] if (t := wf.tasks.get(sub.parent_task_id)) is not None),
                None)
    sub.owner_workflow = task.workflow if task is not None else None
    return task


def _prefix(sub, workflow, top) -> tuple | None:
    """Where a depth-first walk from `workflow`'s root enters `sub` (a sub-process tree comes before
    its activity's children), or None when the walk never reaches it."""
    if sub is workflow:
        return ()
    if sub.parent_task_id is None or not _held(sub, top) or (owner := _owner(sub, top)) is None:
        return None
    above = _prefix(owner.workflow, workflow, top)
    return None if above is None else above + tree_order(owner) + (-1,)


def ready_in_order(workflow) -> list:
    """What `workflow.get_tasks(state=READY)` gives - its READY tasks and those of the sub-processes
    below it, in depth-first order - from the task indexes instead of a walk of every task."""
    top = workflow.top_workflow
    scopes = getattr(task_index(top), "ready_scopes", None)
    if scopes is None:  # not a workflow of this module (its sub-processes are ours when it is)
        return workflow.get_tasks(state=TaskState.READY)
    found = []
    for wf in list(scopes.values()):
        if not _held(wf, top):
            scopes.pop(id(wf), None)  # a sub-process that was deleted
            continue
        if (prefix := _prefix(wf, workflow, top)) is not None:
            found += [(prefix + tree_order(task), task) for task in task_index(wf).in_state(TaskState.READY)]
    found.sort(key=lambda entry: entry[0])
    return [task for _, task in found]
