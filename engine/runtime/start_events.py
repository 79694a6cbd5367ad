"""The start events of an instance: timer starts wait until the engine fires them (see
engine.events.timer_starts); which start an instance started by hand leaves through."""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from bpmn.scheduled_start import ScheduledStartEventDefinition
from engine.runtime.event_subprocesses import is_dormant_part

# Camunda 7 starts an instance by hand at its none start event, else at its timer start event (a process
# may have one of them at most), else at its only start event whatever its kind.
STARTED_BY_HAND = (NoneEventDefinition, TimerEventDefinition)


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


def _live_tasks(workflow) -> list:
    """The instance's tasks that wait or are ready, leaving out event sub-processes not yet triggered."""
    return [t for t in workflow.get_tasks(state=TaskState.WAITING | TaskState.READY)
            if getattr(t.task_spec, "bpmn_id", None) and not is_dormant_part(t)]


def waits_only_at_timer_start(workflow) -> bool:
    """True when the instance waits at its start events only (no none start), one of them a timer start."""
    live = _live_tasks(workflow)
    at_starts = all(t.state == TaskState.WAITING and isinstance(t.task_spec, StartEvent) and t.workflow is workflow
                    for t in live)
    return bool(live) and at_starts and any(_is_scheduled_start(t) for t in live)


def _process_start_events(spec) -> list:
    """The start events of the process itself (those of sub-processes live in specs of their own)."""
    return [task_spec for task_spec in spec.task_specs.values() if isinstance(task_spec, StartEvent)]


def event_only_starts(spec) -> list[str]:
    """The start events of a process that cannot be started by hand: several start events, none of them a
    none or timer start (Camunda 7 refuses: "no default start activity"). Empty when it can be started."""
    starts = _process_start_events(spec)
    if len(starts) < 2 or any(isinstance(s.event_definition, STARTED_BY_HAND) for s in starts):
        return []
    return [start.bpmn_id for start in starts]


def sole_waiting_event_start(workflow):
    """The instance's start event when it is its process's only one and waits for a message or signal with
    nothing else to go on; None otherwise."""
    live = _live_tasks(workflow)
    if len(live) != 1 or len(_process_start_events(workflow.spec)) != 1:
        return None
    task = live[0]
    waits = task.state == TaskState.WAITING and task.workflow is workflow and isinstance(task.task_spec, StartEvent)
    return task if waits else None


def leave_through_start_event(workflow, task) -> None:
    """Started by hand, the instance leaves through its only start event at once, with no event data (Camunda 7
    runs a process's only start event whatever its kind): it completes without running its event hook, so
    there is no payload to copy in."""
    workflow.event_manager.remove_task(task)
    task.complete()
