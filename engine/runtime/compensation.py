"""Compensation at run time: remembering what completed, and running the handlers that undo it.

Remembering: the task tree forgets finished tasks (engine.runtime.pruning), so when a compensable activity completes
(bpmn.compensation lists them on each process spec) the observer calls `note_completion`, which appends a
record to the top workflow's root task (saved with the instance state): the activity, the scope it completed
in (the id of the sub-process instance's task, "" for the process), its handler, whether its own completed
activities are compensated instead (a sub-process without a handler), and the variables it set.

Undoing: the runner calls `Compensator.advance` for a ready compensating event (bpmn.compensation_specs). The
event compensates the records of its scope not compensated yet (only those of its activityRef, if it has
one), newest first; a sub-process without a handler is compensated by compensating its own records, newest
first. Each handler runs as a sub-workflow hosted by the event's task, one after another; the event
completes when the last one finished. A record is compensated at most once: it is marked when its handler
starts, so a second throw (or a handler that throws again) skips it.

Data: a handler starts with the event's current variables overlaid with the variables the compensated
activity set when it completed (its outputs; for a multi-instance iteration also its element), so it sees
the values of the run it undoes - and then with what the handlers before it in this compensation set, which
win: handlers run one after another in one scope, as in Camunda, so each sees what the previous one wrote
(two handlers that each append to a list leave both entries). The variables a handler sets flow on after
the event.
"""
from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from bpmn.compensation_specs import COMPENSATED, COMPENSATING, CompensatingEvent, TransactionCancelEndEvent
from engine.runtime.event_subprocesses import is_event_subprocess
from engine.history.recorder import HistoryRecorder

RECORDS = "fuse_compensation"  # root task internal_data: completions of compensable activities, oldest first
LEFT_BY_CANCEL = "fuse_left_by_cancel"  # a transaction its cancel end event left: it did not complete


def records(workflow) -> list[dict]:
    """The completion records of an instance (see the module docstring), oldest first."""
    return workflow.top_workflow.task_tree.internal_data.setdefault(RECORDS, [])


def scope_key(workflow) -> str:
    """How records name the process ("") or the sub-process instance (its task's id) a task ran in."""
    return "" if workflow is workflow.top_workflow else str(workflow.parent_task_id)


def note_completion(task) -> None:
    """Remember a completed task if its activity is compensable (the observer calls this)."""
    catalogue = getattr(task.workflow.spec, "compensation", None) or {}
    entry = catalogue.get("activities", {}).get(task.task_spec.bpmn_id)
    # A multi-instance activity is compensated iteration by iteration: its iterations are recorded, not it.
    if entry is None or isinstance(task.task_spec, LoopTask) or task.internal_data.get(LEFT_BY_CANCEL):
        return
    inherited = task.parent.data if task.parent is not None else {}
    records(task.workflow).append({
        "activity": task.task_spec.bpmn_id, "scope": scope_key(task.workflow), "task": str(task.id),
        "handler": entry["handler"], "spec": entry["spec"], "inner": entry["inner"],
        "outputs": deepcopy(DeepMerge.get_updated_keys(inherited, task.data)), "done": False})


def is_compensating(task) -> bool:
    """A compensating event that has not compensated yet (the runner hands it to the Compensator)."""
    return isinstance(task.task_spec, CompensatingEvent) and not task.internal_data.get(COMPENSATED)


def compensated_scope(task) -> str:
    """The scope an event compensates: its own, but an event sub-process compensates the scope that holds
    it, and inside a handler, the sub-process that handler compensates."""
    workflow, top = task.workflow, task.workflow.top_workflow
    while workflow is not top:
        host = top.get_task_from_id(workflow.parent_task_id)
        if isinstance(host.task_spec, CompensatingEvent):
            return records(top)[host.internal_data[COMPENSATING]["current"]]["task"]
        if not (isinstance(host.task_spec, EventSubprocess) or is_event_subprocess(host)):
            return scope_key(workflow)
        workflow = host.workflow
    return ""


class Compensator:
    """Runs the compensation of compensating events during one command, recording its history."""

    def __init__(self, recorder: HistoryRecorder, activities: dict):
        self.recorder, self.activities = recorder, activities

    def advance(self, task) -> bool:
        """Move the compensation of a ready compensating event on: finish the handler that just ended,
        start the next one (the event waits, False), or, when none is left, let the event run (True)."""
        state = task.internal_data.get(COMPENSATING)
        if state is None:
            state = task.internal_data[COMPENSATING] = self._begin(task)
        elif state.get("current") is not None and not self._finish_handler(task, state):
            task._set_state(TaskState.STARTED)  # the handler is still running
            return False
        known = records(task.workflow)
        while state["pending"]:
            kind, index = state["pending"].pop()
            record = known[index]
            if kind == "close":
                self._compensated(task, record)
            elif not record["done"]:
                record["done"] = True
                if record["spec"]:
                    self._start_handler(task, state, index)
                    return False
                if record["inner"]:
                    state["pending"].append(["close", index])
                    state["pending"].extend(["record", i] for i in self._open(known, record["task"]))
        task.internal_data[COMPENSATED] = True
        if isinstance(task.task_spec, TransactionCancelEndEvent):
            self._leave_transaction(task)
        return True

    @staticmethod
    def _leave_transaction(task) -> None:
        """The transaction does not complete: its cancel boundary event takes over, with its variables."""
        transaction = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
        transaction.internal_data[LEFT_BY_CANCEL] = True
        if isinstance(transaction.parent.task_spec, BoundaryEventSplit):
            # The boundary event inherits from the split, as if the transaction had ended normally.
            transaction.parent.data.update(deepcopy(task.data))

    @staticmethod
    def _open(known: list[dict], scope: str, activity: str | None = None) -> list[int]:
        """Indexes of the records of a scope not compensated yet, oldest first."""
        return [i for i, r in enumerate(known) if r["scope"] == scope and not r["done"]
                and (activity is None or r["activity"] == activity)]

    def _begin(self, task) -> dict:
        known, ref = records(task.workflow), task.task_spec.activity_ref
        chosen = self._open(known, compensated_scope(task), ref)
        self._record("compensation_started", task.task_spec.bpmn_id, {
            "activity_ref": ref, "activities": [known[i]["activity"] for i in reversed(chosen)]})
        return {"pending": [["record", i] for i in chosen], "current": None, "written": {}}

    def _start_handler(self, task, state: dict, index: int) -> None:
        record = records(task.workflow)[index]
        top = task.workflow.top_workflow
        handler = top.create_subprocess(task, record["spec"])
        handler.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
        data = deepcopy({**task.data, **record["outputs"], **state.get("written", {})})
        state["current"], state["input"] = index, deepcopy(data)
        start = handler.get_next_task(spec_name="Start")
        start.set_data(**data)
        start.run()
        task._set_state(TaskState.STARTED)

    def _finish_handler(self, task, state: dict) -> bool:
        """Take the results of the handler that ended; False while it is still running."""
        top = task.workflow.top_workflow
        handler = top.get_subprocess(task)
        if handler is not None:
            if not handler.completed:
                return False
            result = handler.last_task.data if handler.last_task is not None else {}
            written = deepcopy(DeepMerge.get_updated_keys(state.pop("input", {}), result))
            task.data.update(written)
            state.setdefault("written", {}).update(deepcopy(written))
            top.delete_subprocess(task)
        self._compensated(task, records(task.workflow)[state.pop("current")])
        state["current"] = None
        return True

    def _compensated(self, task, record: dict) -> None:
        self._record("activity_compensated", record["activity"], {
            "handler": record["handler"], "thrown_by": task.task_spec.bpmn_id})

    def _record(self, type: str, activity_id: str, data: dict) -> None:
        name = self.activities.get(activity_id, {}).get("name")
        self.recorder.record(type, activity_id=activity_id, activity_name=name, data=data)
