"""Timers wait durably as jobs and fire through the worker: intermediate and boundary timers."""
from __future__ import annotations

import time

from sqlalchemy import select

from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, resume_instance, start_instance, suspend_instance
from engine.store.models import Job
from engine.worker.worker import Worker
from helpers import bpmn_document, flow

ADMIN = Actor("admin", frozenset({"admin"}))

WAIT = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1S</bpmn:timeDuration></bpmn:timerEventDefinition>'
    '</bpmn:intermediateCatchEvent><bpmn:scriptTask id="after" scriptFormat="python"><bpmn:script>woke = True'
    '</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "wait") + flow("f2", "wait", "after") + flow("f3", "after", "end"), "waits")

ESCALATE = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:userTask id="approve"/><bpmn:endEvent id="end"/>'
    '<bpmn:boundaryEvent id="too_late" attachedToRef="approve"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">${sla}</bpmn:timeDuration></bpmn:timerEventDefinition>'
    '</bpmn:boundaryEvent><bpmn:scriptTask id="escalate" scriptFormat="python"><bpmn:script>escalated = True'
    '</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end_late"/>'
    + flow("f1", "start", "approve") + flow("f2", "approve", "end") + flow("f3", "too_late", "escalate")
    + flow("f4", "escalate", "end_late"), "sla")


def settle(sessions, seconds: float, until=None) -> None:
    """Let time pass and the worker run what came due; stop early once `until(session)` holds
    (a loaded machine gets up to five times longer before the test gives up)."""
    deadline = time.monotonic() + (seconds * 5 if until else seconds)
    while time.monotonic() < deadline:
        Worker(sessions).run_once()
        if until:
            with sessions() as session:
                if until(session):
                    return
        time.sleep(0.05)


def state_of(instance_id: str):
    return lambda session: get_instance(session, instance_id).state == "completed"


def test_intermediate_timer_waits_as_a_job_and_fires_on_time(sessions):
    with sessions() as session:
        deploy(session, {"w.bpmn": WAIT}, None, "admin")
        instance_id = start_instance(session, ADMIN, definition_key="waits").id
        session.commit()
        [job] = session.scalars(select(Job)).all()
        assert job.kind == "timer" and job.activity_id == "wait"
    Worker(sessions).run_once()
    with sessions() as session:
        assert get_instance(session, instance_id).state == "active"  # not due yet
    settle(sessions, 1.0, until=state_of(instance_id))
    with sessions() as session:
        done = get_instance(session, instance_id)
        assert done.state == "completed" and done.variables["woke"] is True
        assert session.scalars(select(Job)).all() == []


def test_boundary_timer_escalates_a_late_task_and_a_done_task_cancels_it(sessions):
    with sessions() as session:
        deploy(session, {"s.bpmn": ESCALATE}, None, "admin")
        late = start_instance(session, ADMIN, definition_key="sla", variables={"sla": "PT0.2S"}).id
        on_time = start_instance(session, ADMIN, definition_key="sla", variables={"sla": "PT5S"}).id
        session.commit()
        from engine.tasks.user_tasks import complete_task
        complete_task(session, open_tasks(session, on_time)[0].id, ADMIN, {})
        session.commit()
    settle(sessions, 1.0, until=state_of(late))
    with sessions() as session:
        escalated = get_instance(session, late)
        assert escalated.state == "completed" and escalated.variables["escalated"] is True
        assert open_tasks(session, late) == []
        assert "escalated" not in get_instance(session, on_time).variables


def test_a_suspended_instances_timer_waits_until_resumed(sessions):
    with sessions() as session:
        deploy(session, {"w.bpmn": WAIT}, None, "admin")
        instance_id = start_instance(session, ADMIN, definition_key="waits").id
        session.commit()
        suspend_instance(session, instance_id, ADMIN)
        session.commit()
    settle(sessions, 0.5)
    with sessions() as session:
        assert get_instance(session, instance_id).state == "suspended"
        resume_instance(session, instance_id, ADMIN)
        session.commit()
    settle(sessions, 1.0, until=state_of(instance_id))
    with sessions() as session:
        assert get_instance(session, instance_id).state == "completed"


REMIND = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:userTask id="approve"/><bpmn:endEvent id="end"/>'
    '<bpmn:boundaryEvent id="remind" attachedToRef="approve" cancelActivity="false"><bpmn:timerEventDefinition>'
    '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R2/PT0.3S</bpmn:timeCycle></bpmn:timerEventDefinition>'
    '</bpmn:boundaryEvent><bpmn:scriptTask id="nudge" scriptFormat="python"><bpmn:script>'
    'reminders = reminders + 1</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end_reminded"/>'
    + flow("f1", "start", "approve") + flow("f2", "approve", "end") + flow("f3", "remind", "nudge")
    + flow("f4", "nudge", "end_reminded"), "remind")


def test_a_non_interrupting_boundary_cycle_repeats_while_the_task_waits(sessions):
    from engine.instances.commands import history

    with sessions() as session:
        deploy(session, {"r.bpmn": REMIND}, None, "admin")
        instance_id = start_instance(session, ADMIN, definition_key="remind", variables={"reminders": 0}).id
        session.commit()

    def nudged_twice(session):
        return [e.activity_id for e in history(session, instance_id)
                if e.type == "activity_completed"].count("nudge") == 2
    settle(sessions, 1.0, until=nudged_twice)
    with sessions() as session:
        assert nudged_twice(session)
        assert [t.activity_id for t in open_tasks(session, instance_id)] == ["approve"]  # not interrupted
        assert get_instance(session, instance_id).state == "active"
    settle(sessions, 0.8)  # R2: no third reminder
    with sessions() as session:
        assert [e.activity_id for e in history(session, instance_id)
                if e.type == "activity_completed"].count("nudge") == 2
