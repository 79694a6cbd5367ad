"""Timers: which tasks wait for one, and when it is due (SpiffWorkflow keeps the due time itself)."""
from __future__ import annotations

from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from bpmn.event_gateway import awaited_events

TIMER = "timer"


def waiting_timers(workflow) -> list:
    """Tasks of the workflow (and its sub-processes) waiting for a timer: timer catch events, and
    event-based gateways with a timer among their events."""
    return [task for task in workflow.event_manager.tasks.values()
            if any(isinstance(definition, TimerEventDefinition) for definition, _ in awaited_events(task))]


def timer_due(task) -> datetime | None:
    """When the task's timer fires (naive UTC), once SpiffWorkflow has worked it out."""
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):  # a cycle: the next occurrence
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        due = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if due.tzinfo is None:
        return due
    return due.astimezone(timezone.utc).replace(tzinfo=None)
