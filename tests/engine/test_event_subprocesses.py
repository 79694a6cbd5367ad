"""Event sub-processes: interrupting ones cancel their scope, non-interrupting ones run beside it
(and can fire again); message, signal and timer starts; nested inside embedded sub-processes,
where they wait only while that sub-process runs. Terminate end events end their scope."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from engine.errors import NotFound
from engine.worker.job_runner import run_job
from engine.events.messages import broadcast_signal, correlate_message
from engine.store.models import Job
from engine.worker.worker import Worker
from event_helpers import (
    ADMIN, chain, complete, event, look, model, script, start_model, sub_process, timer, user_task,
)

TRIGGERS = {"message": '<bpmn:messageEventDefinition messageRef="msg_cancel"/>',
            "signal": '<bpmn:signalEventDefinition signalRef="sig_stop"/>'}


def send(sessions, kind: str, variables: dict | None = None) -> None:
    with sessions() as session:
        if kind == "message":
            correlate_message(session, ADMIN, "cancel", variables=variables or {})
        else:
            broadcast_signal(session, ADMIN, "stop", variables or {})
        session.commit()


def event_sub_process_model(key: str, trigger: str, interrupting: bool) -> bytes:
    """start -> work (user task, with a one-hour reminder timer) -> end, and an event sub-process
    started by `trigger` that counts its runs."""
    return model(
        '<bpmn:startEvent id="start"/>' + user_task("work") + '<bpmn:endEvent id="end"/>'
        + event("boundaryEvent", "reminder", timer("timeDuration", "PT1H"), 'attachedToRef="work" cancelActivity="false"')
        + '<bpmn:endEvent id="end_reminded"/>' + chain("start", "work", "end") + chain("reminder", "end_reminded", prefix="r")
        + sub_process("on_event", event("startEvent", "esp_start", trigger,
                                        f'isInterrupting="{"true" if interrupting else "false"}"')
                      + script("count", "runs = runs + 1") + '<bpmn:endEvent id="esp_end"/>'
                      + chain("esp_start", "count", "esp_end", prefix="e"), event=True), key)


@pytest.mark.parametrize("kind", ["message", "signal"])
def test_interrupting_event_sub_process_cancels_the_scope_and_its_jobs(sessions, kind):
    instance_id = start_model(sessions, event_sub_process_model("stoppable", TRIGGERS[kind], True), "stoppable",
                              {"runs": 0})
    before = look(sessions, instance_id)
    assert before["open"] == ["work"] and before["jobs"] == ["reminder"] and before["active"] == ["reminder", "work"]
    assert before["subscriptions"] == ["esp_start"]
    assert ("activity_entered", "on_event") not in before["history"]  # waiting is not running
    send(sessions, kind, {"why": "customer"})
    after = look(sessions, instance_id)
    assert after["state"] == "completed" and after["cancelled"] == ["work"]
    assert after["jobs"] == [] and after["subscriptions"] == []
    assert after["variables"]["runs"] == 1 and after["variables"]["why"] == "customer"
    assert ("activity_cancelled", "work") in after["history"] and ("activity_completed", "count") in after["history"]


@pytest.mark.parametrize("kind", ["message", "signal"])
def test_non_interrupting_event_sub_process_runs_beside_the_scope_each_time(sessions, kind):
    instance_id = start_model(sessions, event_sub_process_model("noted", TRIGGERS[kind], False), "noted",
                              {"runs": 0})
    send(sessions, kind, {"why": "first"})
    send(sessions, kind, {"why": "second"})
    seen = look(sessions, instance_id)
    assert seen["state"] == "active" and seen["open"] == ["work"] and seen["jobs"] == ["reminder"]
    assert seen["variables"]["runs"] == 2 and seen["variables"]["why"] == "second"
    assert seen["subscriptions"] == ["esp_start"]  # a fresh one waits for the next event
    complete(sessions, instance_id, "work")
    done = look(sessions, instance_id)
    assert done["state"] == "completed" and done["subscriptions"] == [] and done["jobs"] == []


def run_due_timers(sessions, instance_id: str, activity_id: str, wait: float) -> None:
    """Wait until the timer of `activity_id` is due, then run its job."""
    time.sleep(wait)
    with sessions() as session:
        [job] = session.scalars(select(Job).where(Job.instance_id == instance_id, Job.activity_id == activity_id))
        run_job(session, job.id)
        session.commit()


def test_interrupting_timer_event_sub_process_fires_through_its_job(sessions):
    document = event_sub_process_model("deadline", timer("timeDuration", "PT0.3S"), True)
    instance_id = start_model(sessions, document, "deadline", {"runs": 0})
    assert look(sessions, instance_id)["jobs"] == ["esp_start", "reminder"]
    run_due_timers(sessions, instance_id, "esp_start", 0.4)
    seen = look(sessions, instance_id)
    assert seen["state"] == "completed" and seen["cancelled"] == ["work"] and seen["jobs"] == []
    assert seen["variables"]["runs"] == 1


def test_non_interrupting_timer_cycle_repeats_while_the_scope_runs(sessions):
    document = event_sub_process_model("ticking", timer("timeCycle", "R2/PT1S"), False)
    instance_id = start_model(sessions, document, "ticking", {"runs": 0})
    deadline = time.monotonic() + 10
    while look(sessions, instance_id)["jobs"] != ["reminder"] and time.monotonic() < deadline:
        Worker(sessions).run_once()  # each cycle's job, when due
        time.sleep(0.05)
    seen = look(sessions, instance_id)
    assert seen["open"] == ["work"] and seen["history"].count(("activity_completed", "count")) == 2
    assert seen["history"].count(("job_executed", "esp_start")) == 2  # one job per cycle
    complete(sessions, instance_id, "work")
    done = look(sessions, instance_id)
    assert done["state"] == "completed" and done["jobs"] == []


NESTED = model(
    '<bpmn:startEvent id="start"/>' + user_task("prepare")
    + sub_process("pack", '<bpmn:startEvent id="p_start"/>' + user_task("box") + '<bpmn:endEvent id="p_end"/>'
                  + chain("p_start", "box", "p_end", prefix="p")
                  + sub_process("on_cancel", event("startEvent", "cancel_start", TRIGGERS["message"])
                                + script("unpack", "unpacked = True") + '<bpmn:endEvent id="c_end"/>'
                                + chain("cancel_start", "unpack", "c_end", prefix="c"), event=True)
                  + sub_process("on_time", event("startEvent", "time_start", timer("timeDuration", "PT0.2S"),
                                                 'isInterrupting="false"')
                                + script("remind", "reminded = True") + '<bpmn:endEvent id="t_end"/>'
                                + chain("time_start", "remind", "t_end", prefix="t"), event=True))
    + user_task("ship") + '<bpmn:endEvent id="end"/>' + chain("start", "prepare", "pack", "ship", "end"), "packing")


def test_nested_event_sub_processes_wait_only_while_their_sub_process_runs(sessions):
    instance_id = start_model(sessions, NESTED, "packing")
    assert look(sessions, instance_id)["subscriptions"] == []
    with sessions() as session, pytest.raises(NotFound):
        correlate_message(session, ADMIN, "cancel")
    complete(sessions, instance_id, "prepare", {"order": "A-1"})
    running = look(sessions, instance_id)
    assert running["open"] == ["box"] and running["subscriptions"] == ["cancel_start"]
    run_due_timers(sessions, instance_id, "time_start", 0.3)
    reminded = look(sessions, instance_id)
    assert reminded["open"] == ["box"] and reminded["variables"]["reminded"] is True
    send(sessions, "message")
    seen = look(sessions, instance_id)
    assert seen["open"] == ["ship"] and seen["cancelled"] == ["box"] and seen["subscriptions"] == []
    assert seen["variables"]["unpacked"] is True and seen["variables"]["order"] == "A-1"
    complete(sessions, instance_id, "ship")
    assert look(sessions, instance_id)["state"] == "completed"


TERMINATE = '<bpmn:terminateEventDefinition/>'


def test_terminate_end_event_at_the_top_ends_everything(sessions):
    document = model(
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>' + user_task("work") + user_task("decide")
        + '<bpmn:receiveTask id="wait_note" messageRef="msg_note"/><bpmn:endEvent id="end"/><bpmn:endEvent id="end_note"/>'
        + event("boundaryEvent", "reminder", timer("timeDuration", "PT1H"), 'attachedToRef="work"')
        + event("endEvent", "stop", TERMINATE) + '<bpmn:endEvent id="end_reminded"/>'
        + chain("start", "fork", "work", "end") + chain("fork", "decide", "stop", prefix="d")
        + chain("fork", "wait_note", "end_note", prefix="n") + chain("reminder", "end_reminded", prefix="r"), "stoppable")
    instance_id = start_model(sessions, document, "stoppable")
    before = look(sessions, instance_id)
    assert before["jobs"] == ["reminder"] and before["subscriptions"] == ["wait_note"]
    complete(sessions, instance_id, "decide")
    seen = look(sessions, instance_id)
    assert seen["state"] == "completed" and seen["open"] == [] and seen["cancelled"] == ["work"]
    assert seen["jobs"] == [] and seen["subscriptions"] == [] and seen["active"] == []


def test_terminate_end_event_in_a_sub_process_ends_only_that_sub_process(sessions):
    document = model(
        '<bpmn:startEvent id="start"/>'
        + sub_process("review", '<bpmn:startEvent id="r_start"/><bpmn:parallelGateway id="fork"/>' + user_task("a")
                      + user_task("b") + event("endEvent", "stop", TERMINATE) + '<bpmn:endEvent id="r_end"/>'
                      + chain("r_start", "fork", "a", "stop", prefix="r") + chain("fork", "b", "r_end", prefix="b"))
        + user_task("after") + '<bpmn:endEvent id="end"/>' + chain("start", "review", "after", "end"), "reviewing")
    instance_id = start_model(sessions, document, "reviewing")
    complete(sessions, instance_id, "a")
    seen = look(sessions, instance_id)
    assert seen["state"] == "active" and seen["open"] == ["after"] and seen["cancelled"] == ["b"]
