"""BPMN errors find the nearest catch event: error end events and handler errors, boundary events and
error event sub-processes, specific codes before catch-all ones, code and message in variables."""
from __future__ import annotations

from engine.handlers.base import BpmnError
from engine.handlers.registry import register
from event_helpers import (
    chain, complete, error, event, look, model, script, start_model, sub_process, user_task,
)
from helpers import flow

CODE_VARIABLES = 'camunda:errorCodeVariable="code" camunda:errorMessageVariable="msg"'


@register("events_decline_card")
def decline_card(inputs, context):
    raise BpmnError("DECLINED", "card declined", {"attempted": inputs.get("amount")})


LATE_IN_SUB_PROCESS = model(
    '<bpmn:startEvent id="start"/>'
    + sub_process("order", '<bpmn:startEvent id="o_start"/>' + user_task("fill")
                  + event("endEvent", "fail", error("err_late")) + chain("o_start", "fill", "fail", prefix="o"))
    + script("normal", "normal = True") + '<bpmn:endEvent id="end"/>'
    + event("boundaryEvent", "caught", error("err_late", CODE_VARIABLES), 'attachedToRef="order"')
    + user_task("handle") + '<bpmn:endEvent id="end_caught"/>'
    + chain("start", "order", "normal", "end") + chain("caught", "handle", "end_caught", prefix="c"), "late")


def test_error_end_event_in_sub_process_reaches_the_boundary_with_code_and_message(sessions):
    instance_id = start_model(sessions, LATE_IN_SUB_PROCESS, "late")
    complete(sessions, instance_id, "fill", {"reason": "no stock"})
    seen = look(sessions, instance_id)
    assert seen["state"] == "active" and seen["open"] == ["handle"]
    assert seen["variables"]["code"] == "LATE" and seen["variables"]["msg"] == "too late: no stock"
    assert "normal" not in seen["variables"]  # the sub-process did not end normally
    assert seen["thrown"] == [{"code": "LATE", "message": "too late: no stock", "caught_by": "caught"}]
    complete(sessions, instance_id, "handle")
    assert look(sessions, instance_id)["state"] == "completed"


CODE_FROM_VARIABLE = model(
    '<bpmn:startEvent id="start"/>'
    + sub_process("work", '<bpmn:startEvent id="w_start"/>' + event("endEvent", "fail", error("err_any"))
                  + chain("w_start", "fail", prefix="w"))
    + '<bpmn:endEvent id="end"/>'
    + event("boundaryEvent", "any", error(None, 'camunda:errorCodeVariable="caught_code"'), 'attachedToRef="work"')
    + event("boundaryEvent", "specific", error("err_late"), 'attachedToRef="work"')
    + script("route_any", "route = 'catch-all'") + script("route_specific", "route = 'specific'")
    + '<bpmn:endEvent id="end_any"/><bpmn:endEvent id="end_specific"/>'
    + chain("start", "work", "end") + chain("any", "route_any", "end_any", prefix="a")
    + chain("specific", "route_specific", "end_specific", prefix="s"), "coded")


def test_a_boundary_naming_the_code_wins_over_a_catch_all_one(sessions):
    specific = start_model(sessions, CODE_FROM_VARIABLE, "coded", {"code": "LATE"})
    other = start_model(sessions, CODE_FROM_VARIABLE, "coded", {"code": "BROKEN"})
    assert look(sessions, specific)["variables"]["route"] == "specific"
    caught = look(sessions, other)
    assert caught["state"] == "completed" and caught["variables"]["route"] == "catch-all"
    assert caught["variables"]["caught_code"] == "BROKEN"  # the FEEL errorCode =code was evaluated


HANDLER_IN_SUB_PROCESS = model(
    '<bpmn:startEvent id="start"/>'
    + sub_process("payment", '<bpmn:startEvent id="p_start"/><bpmn:serviceTask id="charge"><bpmn:extensionElements>'
                  '<zeebe:taskDefinition type="events_decline_card"/></bpmn:extensionElements></bpmn:serviceTask>'
                  + event("boundaryEvent", "other_error", '<bpmn:errorEventDefinition errorRef="err_late"/>',
                          'attachedToRef="charge"')
                  + '<bpmn:endEvent id="p_end"/><bpmn:endEvent id="p_other"/>'
                  + chain("p_start", "charge", "p_end", prefix="p") + flow("p_o", "other_error", "p_other"))
    + '<bpmn:endEvent id="end"/>'
    + event("boundaryEvent", "declined", error(None, CODE_VARIABLES), 'attachedToRef="payment"')
    + user_task("ask_for_other_card") + '<bpmn:endEvent id="end_declined"/>'
    + chain("start", "payment", "end") + chain("declined", "ask_for_other_card", "end_declined", prefix="d"),
    "pay")


def test_handler_error_passes_a_non_matching_boundary_and_reaches_the_sub_process_boundary(sessions):
    instance_id = start_model(sessions, HANDLER_IN_SUB_PROCESS, "pay", {"amount": 30})
    seen = look(sessions, instance_id)
    assert seen["open"] == ["ask_for_other_card"]
    assert {k: seen["variables"][k] for k in ("code", "msg", "attempted")} == {
        "code": "DECLINED", "msg": "card declined", "attempted": 30}
    assert seen["thrown"][0]["caught_by"] == "declined" and "p_other" not in [a for _, a in seen["history"]]


NESTED_ERROR_HANDLER = model(
    '<bpmn:startEvent id="start"/>'
    + sub_process("pack", '<bpmn:startEvent id="k_start"/><bpmn:parallelGateway id="fork"/>' + user_task("box")
                  + user_task("label") + event("endEvent", "fail", error("err_late"))
                  + '<bpmn:endEvent id="k_end"/>'
                  + chain("k_start", "fork", "box", "fail", prefix="k") + chain("fork", "label", "k_end", prefix="l")
                  + sub_process("on_late", event("startEvent", "late_start", error("err_late", CODE_VARIABLES))
                                + script("clean_up", "cleaned = True") + '<bpmn:endEvent id="late_end"/>'
                                + chain("late_start", "clean_up", "late_end", prefix="e"), event=True))
    + user_task("ship") + '<bpmn:endEvent id="end"/>' + chain("start", "pack", "ship", "end"), "packing")


def test_error_event_sub_process_inside_a_sub_process_ends_only_that_sub_process(sessions):
    instance_id = start_model(sessions, NESTED_ERROR_HANDLER, "packing")
    assert look(sessions, instance_id)["open"] == ["box", "label"]
    complete(sessions, instance_id, "box", {"reason": "no tape"})
    seen = look(sessions, instance_id)
    assert seen["open"] == ["ship"] and seen["cancelled"] == ["label"]
    assert seen["variables"]["cleaned"] is True and seen["variables"]["code"] == "LATE"
    assert seen["variables"]["msg"] == "too late: no tape"
    complete(sessions, instance_id, "ship")
    assert look(sessions, instance_id)["state"] == "completed"


def test_an_uncaught_error_end_event_fails_the_instance(sessions):
    document = model('<bpmn:startEvent id="start"/>' + event("endEvent", "fail", error("err_late"))
                     + flow("f1", "start", "fail"), "uncaught")
    seen = look(sessions, start_model(sessions, document, "uncaught", {"reason": "x"}))
    assert seen["state"] == "failed" and "LATE" in seen["error"]["message"]
    assert seen["error"]["activity_id"] == "fail"


CALLED_PROCESS = ('<bpmn:process id="checker" isExecutable="true"><bpmn:startEvent id="c_start"/>'
                  + script("look_up", "found = False") + event("endEvent", "c_fail", error("err_late"))
                  + chain("c_start", "look_up", "c_fail", prefix="c") + '</bpmn:process>')
CALLER = model(
    '<bpmn:startEvent id="start"/><bpmn:callActivity id="check" calledElement="checker"/>' + user_task("go_on")
    + '<bpmn:endEvent id="end"/>' + chain("start", "check", "go_on", "end")
    + event("boundaryEvent", "not_found", error(None, 'camunda:errorCodeVariable="code"'), 'attachedToRef="check"')
    + user_task("search_by_hand") + '<bpmn:endEvent id="end_by_hand"/>'
    + chain("not_found", "search_by_hand", "end_by_hand", prefix="n"), "caller").replace(
        b"</bpmn:definitions>", CALLED_PROCESS.encode() + b"</bpmn:definitions>")


def test_error_end_event_of_a_called_process_reaches_the_call_activity_boundary(sessions):
    seen = look(sessions, start_model(sessions, CALLER, "caller", {"reason": "no match"}))
    assert seen["open"] == ["search_by_hand"]
    assert seen["variables"]["code"] == "LATE" and seen["variables"]["found"] is False
