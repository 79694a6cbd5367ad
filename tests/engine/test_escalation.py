"""Escalations reach the nearest catch event: interrupting and non-interrupting boundary events,
escalation event sub-processes; an escalation nobody catches is no error."""
from __future__ import annotations

from event_helpers import chain, complete, escalation, event, look, model, script, start_model, sub_process, user_task

CODE_VARIABLE = 'camunda:escalationCodeVariable="escalated_code"'

ESCALATION_END_EVENT = model(
    '<bpmn:startEvent id="start"/>'
    + sub_process("deliver", '<bpmn:startEvent id="d_start"/>' + script("check", "late = True")
                  + event("endEvent", "raise", escalation("esc_late")) + chain("d_start", "check", "raise", prefix="d"))
    + script("normal", "normal = True") + '<bpmn:endEvent id="end"/>'
    + event("boundaryEvent", "escalated", escalation("esc_late", CODE_VARIABLE), 'attachedToRef="deliver"')
    + user_task("call_customer") + '<bpmn:endEvent id="end_escalated"/>'
    + chain("start", "deliver", "normal", "end") + chain("escalated", "call_customer", "end_escalated", prefix="e"),
    "delivery")


def test_interrupting_escalation_boundary_ends_the_sub_process_and_takes_its_own_path(sessions):
    seen = look(sessions, start_model(sessions, ESCALATION_END_EVENT, "delivery"))
    assert seen["state"] == "active" and seen["open"] == ["call_customer"]
    assert seen["variables"]["escalated_code"] == "LATE" and seen["variables"]["late"] is True
    assert "normal" not in seen["variables"]
    assert seen["thrown"] == [{"code": "LATE", "message": None, "caught_by": "escalated"}]


HEADS_UP = model(
    '<bpmn:startEvent id="start"/>'
    + sub_process("build", '<bpmn:startEvent id="b_start"/>' + event("intermediateThrowEvent", "notify",
                                                                      escalation("esc_late"))
                  + user_task("finish") + '<bpmn:endEvent id="b_end"/>'
                  + chain("b_start", "notify", "finish", "b_end", prefix="b"))
    + '<bpmn:endEvent id="end"/>'
    + event("boundaryEvent", "heads_up", escalation("esc_late"), 'attachedToRef="build" cancelActivity="false"')
    + user_task("inform") + '<bpmn:endEvent id="end_informed"/>'
    + chain("start", "build", "end") + chain("heads_up", "inform", "end_informed", prefix="h"), "construction")


def test_non_interrupting_escalation_boundary_runs_beside_the_sub_process(sessions):
    instance_id = start_model(sessions, HEADS_UP, "construction")
    assert look(sessions, instance_id)["open"] == ["finish", "inform"]
    complete(sessions, instance_id, "inform")
    seen = look(sessions, instance_id)
    assert seen["state"] == "active" and seen["open"] == ["finish"]
    complete(sessions, instance_id, "finish")
    assert look(sessions, instance_id)["state"] == "completed"


def escalation_event_sub_process(interrupting: bool) -> bytes:
    flag = "true" if interrupting else "false"
    return model(
        '<bpmn:startEvent id="start"/>'
        + sub_process("review", '<bpmn:startEvent id="r_start"/>' + event("intermediateThrowEvent", "notify",
                                                                           escalation("esc_late"))
                      + user_task("decide") + '<bpmn:endEvent id="r_end"/>'
                      + chain("r_start", "notify", "decide", "r_end", prefix="r"))
        + user_task("archive") + '<bpmn:endEvent id="end"/>' + chain("start", "review", "archive", "end")
        + sub_process("on_escalation", event("startEvent", "esc_start", escalation(None, CODE_VARIABLE),
                                             f'isInterrupting="{flag}"')
                      + script("log", "logged = True") + '<bpmn:endEvent id="esc_end"/>'
                      + chain("esc_start", "log", "esc_end", prefix="e"), event=True),
        f"esc_{flag}")


def test_non_interrupting_escalation_event_sub_process_runs_and_shares_its_variables(sessions):
    instance_id = start_model(sessions, escalation_event_sub_process(False), "esc_false")
    seen = look(sessions, instance_id)
    assert seen["open"] == ["decide"]
    assert seen["variables"]["logged"] is True and seen["variables"]["escalated_code"] == "LATE"
    assert ("activity_completed", "log") in seen["history"]
    complete(sessions, instance_id, "decide")
    complete(sessions, instance_id, "archive")
    done = look(sessions, instance_id)
    assert done["state"] == "completed" and done["subscriptions"] == [] and done["jobs"] == []


def test_interrupting_escalation_event_sub_process_ends_the_whole_process(sessions):
    seen = look(sessions, start_model(sessions, escalation_event_sub_process(True), "esc_true"))
    assert seen["state"] == "completed" and seen["variables"]["logged"] is True
    assert seen["open"] == [] and ("activity_entered", "decide") not in seen["history"]


def test_an_escalation_nobody_catches_is_recorded_and_the_flow_goes_on(sessions):
    document = model('<bpmn:startEvent id="start"/>' + event("intermediateThrowEvent", "notify", escalation("esc_late"))
                     + user_task("next") + '<bpmn:endEvent id="end"/>' + chain("start", "notify", "next", "end"),
                     "loose")
    seen = look(sessions, start_model(sessions, document, "loose"))
    assert seen["state"] == "active" and seen["open"] == ["next"]
    assert seen["thrown"] == [{"code": "LATE", "message": None, "caught_by": None}]
