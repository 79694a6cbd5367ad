"""SpiffWorkflow's workflow and task classes, walking the task tree with loops instead of recursion.

SpiffWorkflow 3.2 removes a task's sub-tree (`Workflow._remove_task`), cancels (`Task.cancel`), drops
children (`Task._drop_children`) and looks up ancestors (`Task.is_descendant_of`, `Task.find_ancestor`)
with one nested Python call per level of the tree. An instance waiting in front of a chain of N tasks
holds N predicted tasks one below the other, so terminating it, an interrupting boundary event on the
waiting task, a terminate end event or a migration ended in RecursionError past about a thousand tasks.

These subclasses do the same walks with an explicit stack: same tasks visited, same notifications, the
stack no longer grows with the model. They keep the library's class names, so a stored state (its
"typename"s) restores as them and a state they store restores anywhere. Every workflow Fuse creates
or restores is one of these (engine.store.serialization, engine.runtime.live), and every task in it
is a `Task` of this module: the root is created here and every other task by a parent's `_add_child`
or by the serializer (bpmn.serializer).

Each workflow also keeps a `TaskIndex`: its tasks by state, and the tasks whose state changed (or that
were added) since Fuse last looked. Fuse's per-step bookkeeping (engine.runtime.observer, .pruning)
reads these instead of walking every task: a chain of N predicted tasks made every step cost N.
"""
from __future__ import annotations

import itertools

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow as SpiffBpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow as SpiffBpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState


_SEQUENCE = itertools.count()  # creation order: a workflow's `tasks` dict holds its tasks in this order


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


class Task(SpiffTask):
    """A task whose tree walks are loops, and that keeps its workflow's index up to date."""

    def __init__(self, workflow, *args, **kwargs):
        super().__init__(workflow, *args, **kwargs)
        self.seq = next(_SEQUENCE)
        if (index := task_index(workflow)) is not None:
            index.add(self)

    def _set_state(self, value: int) -> None:
        before = self._state
        super()._set_state(value)
        if value != before and (index := task_index(self.workflow)) is not None:
            index.move(self, before)

    def _add_child(self, task_spec, state: int = TaskState.MAYBE) -> Task:
        # As the library's, but the child is one of ours.
        if self.has_state(TaskState.PREDICTED_MASK) and state & TaskState.PREDICTED_MASK == 0:
            raise WorkflowException("Attempt to add non-predicted child to predicted task", task_spec=self.task_spec)
        task = Task(self.workflow, task_spec, self, state=state)
        task.thread_id = self.thread_id
        if state == TaskState.READY:
            task._ready()
        return task

    def is_descendant_of(self, task) -> bool:
        node = self.parent
        while node is not None:
            if node == task:
                return True
            node = node.parent
        return False

    def find_ancestor(self, spec_name: str):
        node = self.parent
        while node is not None:
            if node.task_spec.name == spec_name:
                return node
            node = node.parent
        return None

    def _drop_children(self, force: bool = False) -> None:
        """Remove unfinished children (every child with `force`); below finished children, theirs."""
        pending = [(self, force)]
        while pending:
            task, forced = pending.pop()
            drop = []
            for child in task.children:
                if forced or child.has_state(TaskState.NOT_FINISHED_MASK):
                    drop.append(child)
                else:
                    pending.append((child, False))
            for child in drop:
                self.workflow._remove_task(child.id)

    def cancel(self) -> None:
        """Cancel this task if unfinished, else the unfinished tasks below it (nearest first)."""
        pending = [self]
        while pending:
            task = pending.pop()
            if task is None:
                continue
            if task.has_state(TaskState.FINISHED_MASK):
                pending.extend(reversed(task.children))
            else:
                task._set_state(TaskState.CANCELLED)
                task._drop_children()
                task.task_spec._on_cancel(task)


class IterativeRemoval:
    """For workflows: a fresh workflow's root is a `Task` of this module, removal is a loop."""

    def __init__(self, *args, deserializing: bool = False, **kwargs):
        self.task_index = TaskIndex(self)
        # The library's constructor would make a library Task the root: build it here instead.
        super().__init__(*args, deserializing=True, **kwargs)
        if not deserializing:
            self.task_tree = Task(self, self.spec.start, state=TaskState.FUTURE)
            self.task_tree.task_spec._predict(self.task_tree, mask=TaskState.NOT_FINISHED_MASK)
            self.task_tree._ready()

    def update_waiting_tasks(self) -> None:
        """As the library's (after every completed task), from the index instead of a walk of the tree."""
        for task in sorted(self.task_index.in_state(TaskState.WAITING), key=tree_order):
            # An earlier update may have moved or removed it (the library's walk would not meet it then).
            if task.state == TaskState.WAITING and self.tasks.get(task.id) is task:
                task.task_spec._update(task)

    def _remove_task(self, task_id) -> None:
        """Remove a task and its sub-tree: children before their parent, as the library's recursion does."""
        found, pending = [], [self.tasks[task_id]]
        while pending:
            task = pending.pop()
            found.append(task)
            pending.extend(child for child in reversed(task.children) if child is not None)
        for task in reversed(found):
            task.parent._children.remove(task.id)
            self.tasks.pop(task.id)
            self.task_index.drop(task)
            self._task_removed_notify(task)


class BpmnSubWorkflow(IterativeRemoval, SpiffBpmnSubWorkflow):
    """A sub-process's workflow (see IterativeRemoval)."""


class BpmnWorkflow(IterativeRemoval, SpiffBpmnWorkflow):
    """An instance's top workflow (see IterativeRemoval); its sub-processes are ours too."""

    def create_subprocess(self, my_task, spec_name):
        subprocess = BpmnSubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess
