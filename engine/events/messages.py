"""Messages and signals from outside: start instances at message/signal start events, or wake the
instances waiting for them (receive tasks, catch events, boundary events, event sub-processes)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent

from bpmn.event_gateway import awaited_events, is_event_gateway

from engine.definitions.catalog import list_definitions
from engine.definitions.files import deployment_files
from engine.errors import Conflict, NoRecipient, NotFound, SeveralRecipients
from engine.events.subscriptions import waiting_for_events
from engine.identity.users import Actor
from engine.runtime.live import LiveInstance, new_live_instance, open_live_instance
from engine.runtime.observer import find_task
from engine.runtime.saving import save_live_instance
from engine.scripting.script_engine import evaluate
from engine.store.models import BufferedMessage, EventSubscription, ProcessInstance, utcnow
from engine.store.states import MESSAGE, SIGNAL, InstanceState
from engine.store.variable_values import check_text, check_variables

# Who sends a message or signal that an instance threw: not a person, so policies it wakes judge nobody.
THROWING_INSTANCE = "instance:"


@dataclass
class Delivery:
    """What an event did: instances it started and woke, or whether it was buffered for later."""

    started: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    buffered: bool = False


def deliver_to_task(task, name: str, variables: dict) -> None:
    """Hand an event to one waiting task (or event-based gateway): its variables join the instance's data."""
    task.data.update(variables)
    if is_event_gateway(task):
        definition = next(d for d, _ in awaited_events(task)
                          if isinstance(d, (MessageEventDefinition, SignalEventDefinition)) and d.name == name)
        # The gateway takes the branch of this event, unless another one came first.
        task.task_spec.catch(task, BpmnEvent(definition, _payload(definition, name, variables)))
    else:
        definition = task.task_spec.event_definition
        if isinstance(definition, MessageEventDefinition):
            task.internal_data[definition.name] = _payload(definition, name, variables)
        task._set_internal_data(event_fired=True)
    task.task_spec._update(task)


def _payload(definition, name: str, variables: dict) -> dict:
    """What the catching task keeps of the event until it completes."""
    if not isinstance(definition, MessageEventDefinition):
        return dict(variables)
    # SpiffWorkflow's Camunda messages store their payload under a result variable when the
    # task completes; point it at a variable we set anyway so nothing extra appears.
    key = next(iter(variables), f"{name}_received")
    return {"payload": variables.get(key, True), "result_var": key}


@dataclass(frozen=True)
class Recipients:
    """Which waiting instances an event is for, beyond its name (None: any)."""

    business_key: str | None = None
    correlation_keys: dict | None = None  # the values a subscription's correlation key may have (Camunda 8)
    instance_id: str | None = None
    variables_equal: dict | None = None  # the instance's variables must have these values (Camunda 7)


def _matching(session: Session, kind: str, name: str, to: Recipients) -> list[EventSubscription]:
    query = (select(EventSubscription, ProcessInstance.variables)
             .join(ProcessInstance, ProcessInstance.id == EventSubscription.instance_id)
             .where(EventSubscription.kind == kind, EventSubscription.name == name,
                    ProcessInstance.state == InstanceState.ACTIVE.value))
    if to.business_key is not None:
        query = query.where(ProcessInstance.business_key == to.business_key)
    if to.instance_id is not None:
        query = query.where(ProcessInstance.id == to.instance_id)
    rows = session.execute(query.order_by(EventSubscription.created_at, EventSubscription.id)).all()
    if to.variables_equal:
        rows = [(s, variables) for s, variables in rows
                if all(name in (variables or {}) and variables[name] == value
                       for name, value in to.variables_equal.items())]
    found = [subscription for subscription, _ in rows]
    if to.correlation_keys:
        wanted = {str(v) for v in to.correlation_keys.values()}
        found = [s for s in found if s.correlation_value in wanted]
    return found


def _by_instance(subscriptions: list[EventSubscription]) -> dict[str, list[EventSubscription]]:
    """Subscriptions grouped by instance, in the order their instances first appear."""
    grouped: dict[str, list[EventSubscription]] = {}
    for subscription in subscriptions:
        grouped.setdefault(subscription.instance_id, []).append(subscription)
    return grouped


def _wake(session: Session, instance_id: str, task_ids: list[str], name: str, variables: dict, actor: Actor,
          kind: str) -> bool:
    """Deliver the event to every one of these tasks of the instance still waiting for it, in one
    open and save of the instance (as Camunda delivers to each waiting execution); False if none."""
    live = open_live_instance(session, instance_id)
    waits = {}
    for wait in waiting_for_events(live.workflow):
        if (wait.kind, wait.name) == (kind, name):
            waits.setdefault(wait.task.id, wait)  # a gateway waiting for it twice takes it once
    found = [find_task(live.workflow, task_id) for task_id in dict.fromkeys(task_ids)]
    chosen = list({task.id: waits[task.id] for task in found if task is not None and task.id in waits}.values())
    if not chosen:
        return False
    for wait in chosen:
        live.history.record(f"{kind}_received", activity_id=wait.activity_id, actor=actor.name,
                            data={"name": name, "variables": variables})

    def deliver():
        for wait in chosen:
            deliver_to_task(wait.task, name, variables)
    live.run(deliver, actor=actor.name, person=_person(actor))
    save_live_instance(session, live)
    return True


def _wake_all(session: Session, subscriptions: list[EventSubscription], name: str, variables: dict, actor: Actor,
              kind: str) -> list[str]:
    """Wake every instance with a matching subscription; returns the ids of those that took it."""
    # Read before any save: saving an instance rewrites its subscription rows.
    grouped = {instance_id: [s.task_id for s in found] for instance_id, found in _by_instance(subscriptions).items()}
    return [instance_id for instance_id, task_ids in grouped.items()
            if _wake(session, instance_id, task_ids, name, variables, actor, kind)]


def _start_at(session: Session, kind: str, name: str, variables: dict, business_key: str | None,
              actor: Actor) -> list[str]:
    """Start the latest version of every process with a start event for this message or signal."""
    key = "message_starts" if kind == MESSAGE else "signal_starts"
    started = []
    for definition in list_definitions(session, latest=True):
        if name not in (definition.events or {}).get(key, []) or not definition.executable:
            continue
        live = new_live_instance(session, definition, {}, business_key, actor.name)
        live.resources = deployment_files(session, definition.deployment_id)
        live.history.record(f"{kind}_received", actor=actor.name, data={"name": name, "variables": variables})

        live.run(actor=actor.name, person=_person(actor))  # to the start events, which wait for their event

        def trigger(live: LiveInstance = live):
            for wait in waiting_for_events(live.workflow):
                if wait.kind == kind and wait.name == name and wait.task.task_spec.bpmn_id:
                    deliver_to_task(wait.task, name, variables)
                    return
        live.run(trigger, actor=actor.name, person=_person(actor))
        save_live_instance(session, live)
        started.append(live.row.id)
    return started


def correlate_message(session: Session, actor: Actor, name: str, *, business_key: str | None = None,
                      correlation_keys: dict | None = None, variables: dict | None = None,
                      deliver_to_all: bool = False, ttl_ms: int = 0, instance_id: str | None = None,
                      variables_equal: dict | None = None) -> Delivery:
    """Deliver a message to the one instance waiting for it (all with `deliver_to_all`), or start
    instances at its message start events; 409 when several would take it. When nothing takes it:
    buffered for `ttl_ms` (a task that starts waiting for it meanwhile gets it), else 404.
    `instance_id` and `variables_equal` narrow the waiting instances (and start none)."""
    variables = variables or {}
    check_text("message name", name)
    check_text("business_key", business_key)
    check_variables(variables)
    check_variables(correlation_keys or {})
    check_variables(variables_equal or {})
    waiting = _matching(session, MESSAGE, name, Recipients(business_key, correlation_keys, instance_id,
                                                           variables_equal))
    instances = {s.instance_id for s in waiting}
    if len(instances) > 1 and not deliver_to_all:
        raise SeveralRecipients(f"message {name} matches {len(instances)} instances; narrow it with business_key "
                                "or correlation_keys, or send it with all=true", count=len(instances))
    delivery = Delivery(delivered=_wake_all(session, waiting, name, variables, actor, MESSAGE))
    if not delivery.delivered and instance_id is None and not variables_equal:
        delivery.started = _start_at(session, MESSAGE, name, variables, business_key, actor)
    if not delivery.delivered and not delivery.started:
        if ttl_ms > 0:
            session.add(BufferedMessage(id=str(uuid.uuid4()), name=name, business_key=business_key,
                                        correlation_keys=correlation_keys or {}, variables=variables,
                                        expires_at=utcnow() + timedelta(milliseconds=ttl_ms), created_at=utcnow()))
            delivery.buffered = True
            return delivery
        raise NoRecipient(f"no instance waits for message {name} and no process starts with it")
    return delivery


def broadcast_signal(session: Session, actor: Actor, name: str, variables: dict | None = None,
                     instance_id: str | None = None) -> Delivery:
    """Deliver a signal to every waiting catch event, and start every process with a signal start; with
    `instance_id`, only to the catch events of that instance (and start nothing)."""
    variables = variables or {}
    check_text("signal name", name)
    check_variables(variables)
    waiting = _matching(session, SIGNAL, name, Recipients(instance_id=instance_id))
    delivery = Delivery(delivered=_wake_all(session, waiting, name, variables, actor, SIGNAL))
    if instance_id is None:
        delivery.started = _start_at(session, SIGNAL, name, variables, None, actor)
    return delivery


def deliver_thrown_events(session: Session, live: LiveInstance) -> None:
    """Messages and signals thrown inside an instance (throw and end events, send tasks) that it did
    not catch itself go to the other instances, like events from outside (a save step)."""
    if not live.workflow.bpmn_events:
        return
    live.history.flush(session, live.row)
    _deliver(session, live)
    live.history.flush(session, live.row)


def _person(actor: Actor) -> Actor | None:
    """Whom policies judge when this actor's event runs an instance: an instance that threw it is nobody."""
    return None if actor.name.startswith(THROWING_INSTANCE) else actor


def _deliver(session: Session, live: LiveInstance) -> None:
    actor = Actor(f"{THROWING_INSTANCE}{live.row.id}", frozenset())
    for event in live.workflow.get_events():
        definition, payload = event.event_definition, event.payload
        variables = _thrown_variables(payload)
        if isinstance(definition, SignalEventDefinition):
            broadcast_signal(session, actor, definition.name, variables)
        elif isinstance(definition, MessageEventDefinition):
            try:
                correlate_message(session, actor, definition.name, variables=variables, deliver_to_all=False,
                                  correlation_keys=_thrown_correlation(live, definition.name))
            except (NotFound, Conflict) as err:
                live.history.record("message_not_delivered", data={"name": definition.name, "reason": err.detail})


def _thrown_correlation(live: LiveInstance, name: str) -> dict | None:
    """The correlation key a thrown message carries: its zeebe:subscription correlationKey,
    evaluated in the throwing instance (as Camunda 8 does)."""
    expression = ((live.definition.events or {}).get("messages", {}).get(name) or {}).get("correlation_key")
    if not expression:
        return None
    value = evaluate(expression, live.variables())
    return {"correlation_key": value} if value is not None else None


def _thrown_variables(payload) -> dict:
    if isinstance(payload, dict) and set(payload) == {"payload", "result_var"}:  # a Camunda message
        return {payload["result_var"]: payload["payload"]} if payload.get("result_var") else {}
    return dict(payload) if isinstance(payload, dict) else {}
