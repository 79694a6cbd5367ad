"""Event-based gateways: wait for the events of the catch events after the gateway; the first wins.

SpiffWorkflow moves the event of every catch event (or receive task) after an event-based gateway
into the gateway itself (one MultipleEventDefinition) and leaves the catch events with none, so
the gateway task is the one that waits, and the branch whose event came first runs on. Its own
definition lets every event that comes in be taken (two branches could run) and keeps one due
time for all of its timers. `FirstEventDefinition` keeps only the first event, and each timer
its own due time; the gateway's `event_value` shows the earliest of them (where Fuse and
SpiffWorkflow look for a waiting task's next timer).

Conditional events and timer cycles are refused at deploy time: nothing re-evaluates a condition
while the gateway waits, and a cycle has no single moment to win at.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import EventBasedGatewayParser
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimeDateEventDefinition, TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.util.event import BpmnEvent

from bpmn.errors import ElementProblem, problem
from bpmn.namespaces import bpmn

SEEN = "seen_events"  # SpiffWorkflow's own key: the events the gateway caught
TIMER_DUES = "fuse_timer_dues"  # internal_data: each timer's due time (ISO), by its index
CATCHING_TARGETS = {"intermediateCatchEvent", "receiveTask"}


class FirstEventDefinition(MultipleEventDefinition):
    """The events an event-based gateway waits for: the first to come is the only one taken."""

    def catch(self, my_task, event=None):
        if my_task.internal_data.get(SEEN):
            return  # another branch already won
        if any(item.catches(my_task, event) for item in self.event_definitions):
            my_task._set_internal_data(seen_events=[event])

    def has_fired(self, my_task):
        seen = my_task.internal_data.get(SEEN) or []
        dues = self._timer_dues(my_task)
        if dues:
            my_task.internal_data["event_value"] = min(dues.values(), key=_when)
        if not seen:
            now = datetime.now(timezone.utc)
            due = sorted((_when(value), int(index)) for index, value in dues.items() if _when(value) <= now)
            if due:
                seen = [BpmnEvent(self.event_definitions[due[0][1]])]
        my_task.internal_data[SEEN] = seen
        return bool(seen)

    def reset(self, my_task):
        my_task.internal_data.pop(TIMER_DUES, None)
        super().reset(my_task)

    def _timer_dues(self, my_task) -> dict[str, str]:
        """Each timer's due time, worked out once (a duration counts from when the gateway began waiting)."""
        dues = my_task.internal_data.setdefault(TIMER_DUES, {})
        for index, definition in enumerate(self.event_definitions):
            if isinstance(definition, TimerEventDefinition) and str(index) not in dues:
                dues[str(index)] = _due(my_task, definition)
        return dues


def _due(my_task, definition) -> str:
    """The timer's due time as SpiffWorkflow works it out, without touching the gateway's own state."""
    saved = {key: my_task.internal_data.pop(key, None) for key in ("event_value", "event_fired")}
    try:
        definition.has_fired(my_task)
        value = my_task.internal_data.get("event_value")
    finally:
        for key, old in saved.items():
            my_task.internal_data.pop(key, None)
            if old is not None:
                my_task.internal_data[key] = old
    if isinstance(definition, TimeDateEventDefinition):
        value = TimerEventDefinition.parse_time_or_duration(value).isoformat()
    return value


def _when(value: str) -> datetime:
    return TimerEventDefinition.get_datetime(value)


class FirstEventGatewayParser(EventBasedGatewayParser):
    """Parses an event-based gateway with a FirstEventDefinition."""

    def create_task(self):
        return self._create_task(FirstEventDefinition())


def is_event_gateway(task) -> bool:
    return isinstance(task.task_spec, EventBasedGateway)


def awaited_events(task) -> list[tuple[object, str]]:
    """(event definition, id of the BPMN element that catches it) for each event a waiting task
    waits for: its own, or for an event-based gateway those of the catch events after it."""
    spec = task.task_spec
    if is_event_gateway(task):
        return [(definition, output.bpmn_id) for definition, output in zip(spec.event_definition.event_definitions,
                                                                           spec.outputs)]
    definition = getattr(spec, "event_definition", None)
    return [(definition, spec.bpmn_id)] if definition is not None else []


def winning_event(task) -> tuple[object, str] | None:
    """(event definition, catch event id) of the branch a completed event-based gateway took."""
    seen = task.internal_data.get(SEEN) or []
    if not seen:
        return None
    return next(((d, bpmn_id) for d, bpmn_id in awaited_events(task) if d == seen[0].event_definition), None)


def event_gateway_targets(process: etree._Element) -> Iterator[ElementProblem]:
    """An event-based gateway leads only to message, signal or timer (date or duration) catch events
    and receive tasks."""
    by_id = {node.get("id"): node for node in process.iter() if isinstance(node.tag, str)}
    for gateway in process.iter(bpmn("eventBasedGateway")):
        name = gateway.get("name") or gateway.get("id")
        for flow in process.iter(bpmn("sequenceFlow")):
            if flow.get("sourceRef") != gateway.get("id"):
                continue
            target = by_id.get(flow.get("targetRef"))
            if target is None:
                continue
            if etree.QName(target).localname not in CATCHING_TARGETS:
                yield problem(target, f"event-based gateway '{name}' may lead only to intermediate catch events "
                                      f"and receive tasks, not to the {etree.QName(target).localname} "
                                      f"'{target.get('name') or target.get('id')}'")
            elif target.find(bpmn("conditionalEventDefinition")) is not None:
                yield problem(target, f"conditional event '{target.get('name') or target.get('id')}' after "
                                      f"event-based gateway '{name}' is not supported (nothing re-evaluates its "
                                      "condition while the gateway waits); use a message, signal or timer")
            elif (timer := target.find(bpmn("timerEventDefinition"))) is not None \
                    and timer.find(bpmn("timeCycle")) is not None:
                yield problem(target, f"timer cycle '{target.get('name') or target.get('id')}' after event-based "
                                      f"gateway '{name}' is not supported; use a timeDate or timeDuration")
