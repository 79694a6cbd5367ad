"""Surgery on a SpiffWorkflow task tree: take tokens away and put new ones down.

Fuse prunes finished tasks from the tree (engine/runtime/pruning.py), so SpiffWorkflow's
`reset_from_task_id` cannot go back to them. A token is instead put down fresh: a new task for the
target's spec, hung under a finished task (usually the cancelled token it replaces) and then
predicted and updated the way SpiffWorkflow's own `Task.reset_branch` does it.

A token lives in a scope: the process, or a running sub-process (an embedded sub-process or a
called process, each a workflow of its own). It can be put down in its own scope or in an
enclosing one (leaving the sub-process), never inside a sub-process that is not running.
"""
from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

from bpmn.reserved_ids import spec_name

TOKEN_STATES = TaskState.WAITING | TaskState.READY | TaskState.STARTED | TaskState.ERROR
PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE
BOUNDARY_SPLIT = ".BoundaryEventSplit"


def is_token(task) -> bool:
    return bool(task.state & TOKEN_STATES)


def holder_of(workflow):
    """The task that runs a sub-process workflow (None for the process itself)."""
    if workflow.parent_task_id is None:
        return None
    return workflow.top_workflow.get_task_from_id(workflow.parent_task_id)


def running_scopes(top) -> list:
    """The process and every sub-process whose task is still running, outermost first."""
    running = [sp for sp in top.subprocesses.values() if (h := holder_of(sp)) is not None and is_token(h)]
    return [top, *sorted(running, key=lambda wf: wf.depth)]


def tokens(top) -> list:
    """Every task holding a token, in the running scopes."""
    return [t for wf in running_scopes(top) for t in wf.tasks.values() if is_token(t)]


def tokens_at(top, activity_id: str) -> list:
    """The tokens at an activity; a token nested in another one at the same activity (a
    multi-instance's instances) counts as part of it."""
    found = [t for t in tokens(top) if getattr(t.task_spec, "bpmn_id", None) == activity_id]
    ids = {t.id for t in found}

    def nested(task) -> bool:
        parent = task.parent
        while parent is not None:
            if parent.id in ids:
                return True
            parent = parent.parent
        return False
    return [t for t in found if not nested(t)]


def scope_chain(task) -> list[tuple]:
    """(workflow, task holding the token there) for the task's own scope and each enclosing one."""
    chain = [(task.workflow, task)]
    while (holder := holder_of(chain[-1][0])) is not None:
        chain.append((holder.workflow, holder))
    return chain


def entry_spec(workflow, activity_id: str):
    """The spec a token entering the activity starts at in this workflow (the split in front of
    its boundary events, when it has some), or None when the activity is not in it."""
    specs = workflow.spec.task_specs
    spec = specs.get(activity_id + BOUNDARY_SPLIT) or specs.get(spec_name(activity_id))
    if spec is None or not (isinstance(spec, BoundaryEventSplit) or getattr(spec, "bpmn_id", None) == activity_id):
        return None
    return spec


def unfit_target(spec) -> str | None:
    """Why no token can be put down at this spec, or None when one can."""
    if isinstance(spec, BoundaryEvent):
        return "is a boundary event: move to the activity it is attached to"
    if isinstance(spec, EventSubprocess):
        return "is an event sub-process: only its event starts it"
    return None


def is_join(spec) -> bool:
    """A gateway that merges several incoming flows (parallel or inclusive)."""
    return isinstance(spec, UnstructuredJoin) and len(spec.inputs) > 1


def branch_into(join, start) -> object | None:
    """The input of `join` that the flow from `start` reaches without passing the join: the
    branch a token at `start` is on (None when it is on none)."""
    seen, queue = {start}, [start]
    while queue:
        spec = queue.pop(0)
        if spec in join.inputs:
            return spec
        for out in spec.outputs:
            if out is not join and out not in seen:
                seen.add(out)
                queue.append(out)
    return None


def is_boundary_event(task) -> bool:
    return isinstance(task.task_spec, BoundaryEvent)


def boundary_events_of(task) -> list:
    """The boundary events waiting beside an activity's task."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit) or is_boundary_event(task):
        return []
    return [t for t in parent.children if is_boundary_event(t)]


def cancel_token(task) -> None:
    """Take the token at `task` away: the task and the boundary events waiting beside it are
    cancelled with what they predicted; a sub-process it runs is cancelled with all inside it."""
    for each in [task, *boundary_events_of(task)]:
        if each.state == TaskState.ERROR:
            # Task.cancel leaves finished tasks alone, and a failed task counts as finished.
            each._set_state(TaskState.CANCELLED)
            each._drop_children()
            each.task_spec._on_cancel(each)
        elif not each.has_state(TaskState.FINISHED_MASK):
            each.cancel()
    top = task.workflow.top_workflow
    for sub in top.subprocesses.values():
        # Cancelling a sub-process cancels what is open in it (and in those nested in it), but a
        # task in error there would still count as a token.
        if holder_of(sub).state == TaskState.CANCELLED:
            for inner in [t for t in sub.tasks.values() if t.state == TaskState.ERROR]:
                inner._set_state(TaskState.CANCELLED)


def place_token(parent, spec, data: dict):
    """Put a token down at `spec`, under the finished task `parent`, carrying `data`.

    The new task inherits its parent's data when it updates, so the parent (a cancelled token
    or a synthetic arrival) is given the same data first.
    """
    parent.data = deepcopy(data)
    task = parent._add_child(spec, TaskState.FUTURE)
    task.data = deepcopy(data)
    spec._predict(task, mask=PREDICTED)
    spec._update(task)
    return task


def arrive_at_join(parent, branch, join, data: dict) -> tuple:
    """Put a token down at a joining gateway as if it came along `branch` (one of its inputs):
    a completed task of the branch's last spec, never run, with the join under it. Returns
    (arrival, join task); the arrival is not an activity that ran and must not be reported."""
    arrival = parent._add_child(branch, TaskState.COMPLETED)
    arrival.data = deepcopy(data)
    return arrival, place_token(arrival, join, data)
