"""Timer start events inside an instance: they wait until the engine fires them (see engine.events.timer_starts)."""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from bpmn.scheduled_start import ScheduledStartEventDefinition


def _is_scheduled_start(task) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), ScheduledStartEventDefinition)


def _scheduled_starts(workflow) -> list:
    """The top-level timer start events of an instance that wait for the engine to fire them."""
    return [task for task in workflow.get_tasks(state=TaskState.WAITING) if _is_scheduled_start(task)]


def fire_start_timers(workflow, activity_id: str | None = None) -> bool:
    """Let the instance leave through its timer start event now (the one named, or any); False when
    the instance has none waiting."""
    for task in _scheduled_starts(workflow):
        if activity_id is None or task.task_spec.bpmn_id == activity_id:
            task._set_internal_data(event_fired=True)
            task.task_spec._update(task)
            return True
    return False


def waits_only_at_timer_start(workflow) -> bool:
    """True when the instance can go nowhere but through a timer start event (no none start)."""
    live = [t for t in workflow.get_tasks(state=TaskState.WAITING | TaskState.READY)
            if getattr(t.task_spec, "bpmn_id", None)]
    return bool(live) and all(t.state == TaskState.WAITING and _is_scheduled_start(t) for t in live)
