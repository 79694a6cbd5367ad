"""Turns SpiffWorkflow task state changes into history events (entered, completed, cancelled)."""
from __future__ import annotations

from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.history import HistoryRecorder

ACTIVE = TaskState.WAITING | TaskState.READY | TaskState.STARTED


def all_workflows(workflow) -> list:
    """The top workflow and every sub-process workflow it holds."""
    return [workflow, *workflow.subprocesses.values()]


def variable_changes(task) -> dict | None:
    """What a finished task changed in the data it inherited, or None when nothing changed."""
    parent = task.parent
    if parent is None:
        return None
    updated = DeepMerge.get_updated_keys(parent.data, task.data)
    removed = DeepMerge.get_deleted_keys(parent.data, task.data)
    if not updated and not removed:
        return None
    changes = {"set": updated}
    if removed:
        changes["removed"] = sorted(removed)
    return changes


class ActivityObserver:
    """Remembers the state of every BPMN element's task and records what changed since."""

    def __init__(self, workflow, recorder: HistoryRecorder, activities: dict):
        self.workflow, self.recorder, self.activities = workflow, recorder, activities
        self.known: dict = {}
        self.entered: set = set()
        self.actors: dict = {}  # task id -> who finished it (user tasks), for the history
        for task in self._tasks():
            self.known[task.id] = task.state
            if task.state & (ACTIVE | TaskState.COMPLETED | TaskState.ERROR):
                self.entered.add(task.id)

    def _tasks(self):
        for wf in all_workflows(self.workflow):
            for task in wf.tasks.values():
                if getattr(task.task_spec, "bpmn_id", None):
                    yield task

    def scan(self) -> None:
        """Record events for tasks whose state changed since the last scan."""
        known, seen = self.known, {}
        for task in self._tasks():
            state = task.state
            seen[task.id] = state
            if known.get(task.id) == state:
                continue
            if state & (ACTIVE | TaskState.COMPLETED) and task.id not in self.entered:
                self.entered.add(task.id)
                self._record("activity_entered", task)
            if state == TaskState.COMPLETED:
                self._record("activity_completed", task)
                if changes := variable_changes(task):
                    self._record("variables_changed", task, changes)
            elif state == TaskState.CANCELLED and task.id in self.entered:
                self._record("activity_cancelled", task)
        self.known = seen
        self.entered.intersection_update(seen)

    def _record(self, type: str, task, data: dict | None = None) -> None:
        bpmn_id = task.task_spec.bpmn_id
        info = self.activities.get(bpmn_id, {})
        payload = {"type": info.get("type"), **(data or {})} if type != "variables_changed" else data
        self.recorder.record(type, activity_id=bpmn_id, actor=self.actors.get(task.id),
                             activity_name=info.get("name") or task.task_spec.bpmn_name, data=payload)
