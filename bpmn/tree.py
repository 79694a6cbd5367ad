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

Each workflow also keeps a `TaskIndex` (bpmn.task_index) of its tasks by state and of those changed.
"""
from __future__ import annotations

import itertools

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow as SpiffBpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow as SpiffBpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from bpmn.task_index import TaskIndex, task_index, tree_order


_SEQUENCE = itertools.count()  # creation order: a workflow's `tasks` dict holds its tasks in this order


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
