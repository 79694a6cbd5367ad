"""Turns SpiffWorkflow task state changes into history events (entered, completed, cancelled)."""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from bpmn.task_index import task_index
from engine.runtime.event_subprocesses import is_dormant_part, may_be_dormant
from engine.runtime.compensation import note_completion
from engine.runtime.gateway_decisions import gateway_decision
from engine.runtime.orphans import cancel_orphaned_subprocesses
from engine.history.recorder import HistoryRecorder
from engine.telemetry.metrics import activity_completed

ACTIVE = TaskState.WAITING | TaskState.READY | TaskState.STARTED
# Who did a task's work when it was not a person completing it: "handler:<name>", or an external
# worker's id (kept in the task, which may complete in a later command).
ACTOR = "fuse_actor"
# When the task was entered (time.time()), kept in the task so it survives until it completes.
ENTERED_AT = "fuse_entered_at"


def all_workflows(workflow) -> list:
    """The top workflow and every sub-process workflow it holds."""
    return [workflow, *workflow.subprocesses.values()]


def find_task(workflow, task_id: str):
    """The task with this id in the workflow or any of its sub-processes; None when it is gone."""
    key = UUID(task_id)
    return next((task for wf in all_workflows(workflow) if (task := wf.tasks.get(key)) is not None), None)


def change_record(updated: dict, previous: dict, removed) -> dict:
    """A `variables_changed` event's data: {"set": {name: new}, "before": {name: old, for names that
    existed}, "removed": [names], "masked": [names shown as "***"]} (the history fills in "masked")."""
    removed = sorted(removed)
    names = [*updated, *removed]
    return {"set": updated, "before": {name: previous[name] for name in names if name in previous},
            "removed": removed, "masked": []}


def variable_changes(task) -> dict | None:
    """What a finished task changed in the data it inherited, or None when nothing changed."""
    parent = task.parent
    if parent is None:
        return None
    updated = DeepMerge.get_updated_keys(parent.data, task.data)
    removed = DeepMerge.get_deleted_keys(parent.data, task.data)
    if not updated and not removed:
        return None
    return change_record(updated, parent.data, removed)


def _ends_a_wait(task, before, now) -> bool:
    """Whether a task's change from state `before` to `now` may leave a job of it behind (engine.jobs.queue):
    it waited, or it is a timer (one that waited unseen, in a dormant event sub-process), or it was
    cancelled."""
    if before == TaskState.WAITING or now == TaskState.CANCELLED:
        return True
    return now != TaskState.WAITING and isinstance(getattr(task.task_spec, "event_definition", None),
                                                   TimerEventDefinition)


class ActivityObserver:
    """Remembers the state of every BPMN element's task and records what changed since.

    A scan looks only at the tasks whose state changed (or that were added) since the last scan, as
    the workflows' task indexes (bpmn.tree) list them, plus the few tasks whose dormancy can change
    without a state change of their own (event sub-processes and their start events). Walking every
    task instead made each step of a chain of N tasks cost N (its predicted tasks). Workflows
    without an index (not built by Fuse) are scanned whole, as before.
    """

    def __init__(self, workflow, recorder: HistoryRecorder, activities: dict, definition_key: str = ""):
        self.workflow, self.recorder, self.activities = workflow, recorder, activities
        self.definition_key = definition_key
        self.known: dict = {}
        self.entered: set = set()
        self.watched: dict = {}  # id -> task that may turn dormant or wake up without changing state
        self.actors: dict = {}  # task id -> who finished it (user tasks), for the history
        # Set when a task stopped waiting (fired, got its event, was cancelled): its job may have to go.
        self.waits_ended = False
        for wf in all_workflows(workflow):
            if (index := task_index(wf)) is not None:
                index.take_changed()
        for wf in all_workflows(workflow):
            for task in wf.tasks.values():
                self._watch(task)
        for task in self._tasks():
            self.known[task.id] = task.state
            if task.state & (ACTIVE | TaskState.COMPLETED | TaskState.ERROR):
                self.entered.add(task.id)

    def _tasks(self):
        for wf in all_workflows(self.workflow):
            for task in wf.tasks.values():
                # A dormant event sub-process is a subscription, not an activity, until it fires.
                if getattr(task.task_spec, "bpmn_id", None) and not is_dormant_part(task):
                    yield task

    def _watch(self, task) -> None:
        if getattr(task.task_spec, "bpmn_id", None) and may_be_dormant(task):
            self.watched[task.id] = task

    def _candidates(self) -> list | None:
        """The tasks a scan must look at, in the order a whole scan meets them; None: scan all."""
        workflows = all_workflows(self.workflow)
        indexes = [task_index(wf) for wf in workflows]
        if any(index is None for index in indexes):
            return None
        rank = {id(wf): position for position, wf in enumerate(workflows)}
        found = {}
        for index in indexes:
            for task in index.take_changed():
                self._watch(task)
                found[task.id] = task
        for task in list(self.watched.values()):
            if rank.get(id(task.workflow)) is None or task.workflow.tasks.get(task.id) is not task:
                del self.watched[task.id]  # gone
            else:
                found[task.id] = task
        present = [t for t in found.values() if rank.get(id(t.workflow)) is not None
                   and t.workflow.tasks.get(t.id) is t]
        return sorted(present, key=lambda t: (rank[id(t.workflow)], t.seq))

    def scan(self) -> None:
        """Record events for tasks whose state changed since the last scan."""
        for task in cancel_orphaned_subprocesses(self.workflow):
            if task.id in self.entered:
                self._record("activity_cancelled", task)
            self.waits_ended = True
        candidates = self._candidates()
        if candidates is None:
            self._scan(self._tasks(), whole=True)
            return
        visible = []
        for task in candidates:
            if getattr(task.task_spec, "bpmn_id", None) and not is_dormant_part(task):
                visible.append(task)
            else:  # as a whole scan, which would not see it
                self.known.pop(task.id, None)
                self.entered.discard(task.id)
        self._scan(visible, whole=False)

    def _scan(self, tasks, whole: bool) -> None:
        known, seen = self.known, {}
        for task in tasks:
            state = task.state
            seen[task.id] = state
            if known.get(task.id) == state:
                continue
            if state & (ACTIVE | TaskState.COMPLETED) and task.id not in self.entered:
                self.entered.add(task.id)
                self._record("activity_entered", task)
                task.internal_data[ENTERED_AT] = task.last_state_change
            if state == TaskState.COMPLETED:
                self._record("activity_completed", task)
                if decision := gateway_decision(task, self.activities.get(task.task_spec.bpmn_id, {})):
                    self._record("gateway_decided", task, decision)
                note_completion(task)
                self._measure(task)
                if changes := variable_changes(task):
                    self._record("variables_changed", task, changes)
            elif state == TaskState.CANCELLED and task.id in self.entered:
                self._record("activity_cancelled", task)
            if _ends_a_wait(task, known.get(task.id), state):
                self.waits_ended = True
        if whole:
            self.known = seen
            self.entered.intersection_update(seen)
        else:
            # Tasks that went without a scan seeing them leave stale entries: ids are never reused.
            known.update(seen)

    def ignore(self, task) -> None:
        """Never report this task: it was made up (a join's arrival put down by a repair), not run."""
        self.known[task.id] = task.state
        self.entered.add(task.id)

    def _measure(self, task) -> None:
        entered_at = task.internal_data.pop(ENTERED_AT, None)
        if entered_at is not None:  # None: entered before Fuse measured durations
            activity_completed(self.definition_key, task.task_spec.bpmn_id, task.last_state_change - entered_at)

    def _record(self, type: str, task, data: dict | None = None) -> None:
        bpmn_id = task.task_spec.bpmn_id
        info = self.activities.get(bpmn_id, {})
        payload = {"type": info.get("type"), **(data or {})} if type != "variables_changed" else data
        done_by = (self.actors.get(task.id) or task.internal_data.get(ACTOR)) if type != "activity_entered" else None
        self.recorder.record(type, activity_id=bpmn_id, actor=done_by,
                             activity_name=info.get("name") or task.task_spec.bpmn_name, data=payload)
