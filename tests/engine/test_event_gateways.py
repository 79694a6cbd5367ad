"""Event-based gateways through the worker: a timer branch fires as a job, the earliest timer wins,
a message buffered before the gateway waits reaches it; everything else waiting is withdrawn."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.deployment.deploy import deploy
from engine.errors import NotFound
from engine.events.messages import correlate_message
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.history.reading import instance_history
from engine.store.models import EventSubscription, Job
from engine.tasks.user_tasks import complete_task
from engine.worker.worker import Worker
from helpers import bpmn_document, flow
from test_timers import settle, state_of

ADMIN = Actor("admin", frozenset({"admin"}))


def timer(event_id: str, duration: str) -> str:
    return (f'<bpmn:intermediateCatchEvent id="{event_id}"><bpmn:timerEventDefinition><bpmn:timeDuration>'
            f'{duration}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


def gateway_model(key: str, before: str = "", *branches: str) -> bytes:
    """start -> [before: a user task] -> gateway -> each branch (a catch event id and its XML) -> its own end."""
    body = '<bpmn:startEvent id="start"/><bpmn:eventBasedGateway id="gw"/>'
    body += '<bpmn:userTask id="prepare"/>' + flow("f0", "start", "prepare") + flow("f1", "prepare", "gw") \
        if before else flow("f0", "start", "gw")
    for event_id, xml in branches:
        body += xml + f'<bpmn:endEvent id="end_{event_id}"/>' + flow(f"g_{event_id}", "gw", event_id) \
            + flow(f"h_{event_id}", event_id, f"end_{event_id}")
    return bpmn_document(body, key, extra='<bpmn:message id="m_go" name="go"/>')


MESSAGE = ("go", ('<bpmn:intermediateCatchEvent id="go"><bpmn:messageEventDefinition messageRef="m_go"/>'
                  '</bpmn:intermediateCatchEvent>'))


def decided(session, instance_id: str) -> dict:
    [event] = [e for e in instance_history(session, instance_id) if e.type == "gateway_decided"]
    return event.data


def test_a_timer_branch_fires_through_the_worker_and_withdraws_the_message(sessions):
    with sessions() as session:
        deploy(session, {"t.bpmn": gateway_model("timed", "", MESSAGE, ("soon", timer("soon", "PT1S")))}, None, "admin")
        instance_id = start_instance(session, ADMIN, definition_key="timed").id
        session.commit()
        assert [j.activity_id for j in session.scalars(select(Job))] == ["gw"]
        assert [s.activity_id for s in session.scalars(select(EventSubscription))] == ["go"]
    Worker(sessions).run_once()
    with sessions() as session:
        assert get_instance(session, instance_id).state == "active"  # not due yet
    settle(sessions, 1.0, until=state_of(instance_id))
    with sessions() as session:
        assert get_instance(session, instance_id).state == "completed"
        assert decided(session, instance_id)["event"] == {"kind": "timer", "name": None, "activity_id": "soon"}
        assert decided(session, instance_id)["withdrawn"] == ["go"]
        assert session.scalars(select(Job)).all() == [] and session.scalars(select(EventSubscription)).all() == []
        with pytest.raises(NotFound):
            correlate_message(session, ADMIN, "go")


def test_the_earliest_timer_wins_whatever_its_place_in_the_model(sessions):
    model = gateway_model("two_timers", "", ("late", timer("late", "PT1H")), ("early", timer("early", "PT1S")))
    with sessions() as session:
        deploy(session, {"t.bpmn": model}, None, "admin")
        instance_id = start_instance(session, ADMIN, definition_key="two_timers").id
        session.commit()
    settle(sessions, 1.0, until=state_of(instance_id))
    with sessions() as session:
        assert get_instance(session, instance_id).state == "completed"
        assert decided(session, instance_id)["event"]["activity_id"] == "early"


def test_a_message_buffered_before_the_gateway_waits_takes_its_branch(sessions):
    model = gateway_model("buffered", "before", MESSAGE, ("later", timer("later", "PT1H")))
    with sessions() as session:
        deploy(session, {"b.bpmn": model}, None, "admin")
        instance_id = start_instance(session, ADMIN, definition_key="buffered").id
        session.commit()
        assert correlate_message(session, ADMIN, "go", variables={"early": True}, ttl_ms=60_000).buffered
        session.commit()
        complete_task(session, open_tasks(session, instance_id)[0].id, ADMIN, {})
        session.commit()
    settle(sessions, 1.0, until=state_of(instance_id))
    with sessions() as session:
        done = get_instance(session, instance_id)
        assert done.state == "completed" and done.variables["early"] is True
        assert decided(session, instance_id)["event"]["activity_id"] == "go"
        assert session.scalars(select(Job)).all() == []
