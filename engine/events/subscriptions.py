"""Which tasks wait for which message or signal: kept in a table so delivery finds them in SQL."""
from __future__ import annotations

import uuid
from typing import NamedTuple

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bpmn.event_gateway import awaited_events
from engine.store.models import BufferedMessage, EventSubscription, Job, utcnow
from engine.store.states import MESSAGE, SIGNAL, InstanceState


class Wait(NamedTuple):
    """A task waiting for a message or signal, and the element that catches it (the task's own,
    or for an event-based gateway the catch event after it)."""

    task: object
    kind: str
    name: str
    activity_id: str


def waiting_for_events(workflow) -> list[Wait]:
    """Every wait for a message or signal: one per event a waiting task (or gateway) waits for."""
    found = []
    for task in workflow.event_manager.tasks.values():
        for definition, activity_id in awaited_events(task):
            if isinstance(definition, MessageEventDefinition):
                found.append(Wait(task, MESSAGE, definition.name, activity_id))
            elif isinstance(definition, SignalEventDefinition):
                found.append(Wait(task, SIGNAL, definition.name, activity_id))
    return found


def correlation_value(live, task, message_name: str) -> str | None:
    """The value a message must carry to reach this task (zeebe:subscription correlationKey or a BPMN
    correlation property's messagePath, evaluated in the instance)."""
    expression = ((live.definition.events or {}).get("messages", {}).get(message_name) or {}).get("correlation_key")
    if not expression:
        return None
    value = task.workflow.script_engine.evaluate(task, expression)
    return None if value is None else str(value)


def sync_subscriptions(session: Session, live) -> None:
    """Rewrite the instance's subscriptions from its waiting tasks (only when it has or had some)."""
    waiting = [] if live.state.is_ended else waiting_for_events(live.workflow)
    if not waiting and not live.row.waits_for_events:
        return
    session.execute(delete(EventSubscription).where(EventSubscription.instance_id == live.row.id))
    for task, kind, name, activity_id in waiting:
        value = correlation_value(live, task, name) if kind == MESSAGE else None
        session.add(EventSubscription(instance_id=live.row.id, task_id=str(task.id), activity_id=activity_id,
                                      kind=kind, name=name, correlation_value=value, created_at=utcnow()))
        if kind == MESSAGE and buffered_match(session, name, live.row.business_key, value) is not None:
            # A message came before the task waited: a job hands it over (outside this save).
            session.add(Job(id=str(uuid.uuid4()), instance_id=live.row.id, kind=MESSAGE, task_id=str(task.id),
                            activity_id=activity_id, due_at=utcnow(), attempts=0, created_at=utcnow()))
    live.row.waits_for_events = bool(waiting) and live.state != InstanceState.TERMINATED


def buffered_match(session: Session, name: str, business_key: str | None,
                   value: str | None) -> BufferedMessage | None:
    """The oldest unexpired buffered message this subscription would take."""
    candidates = session.scalars(select(BufferedMessage).where(
        BufferedMessage.name == name, BufferedMessage.expires_at > utcnow()).order_by(BufferedMessage.created_at))
    for message in candidates:
        if message.business_key not in (None, business_key):
            continue
        keys = {str(v) for v in (message.correlation_keys or {}).values()}
        if keys and value not in keys:
            continue
        return message
    return None
