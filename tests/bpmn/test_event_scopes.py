"""Compiling event sub-processes and error/escalation events: every event sub-process starts with its
scope (nested ones too), its interrupting flag and the catch events' variables are kept on the specs,
and the Camunda attributes that name those variables are honoured without a warning."""
from __future__ import annotations

from bpmn.compiler import compile_models
from engine.store.serialization import SpecCache, dump_specs
from event_helpers import chain, error, escalation, event, model, sub_process, user_task

CAUGHT = model(
    '<bpmn:startEvent id="start"/>'
    + sub_process("work", '<bpmn:startEvent id="w_start"/>' + user_task("do")
                  + event("endEvent", "fail", error("err_late")) + chain("w_start", "do", "fail", prefix="w")
                  + sub_process("on_message", event("startEvent", "m_start",
                                                    '<bpmn:messageEventDefinition messageRef="msg_note"/>',
                                                    'isInterrupting="false"')
                                + '<bpmn:endEvent id="m_end"/>' + chain("m_start", "m_end", prefix="m"), event=True))
    + '<bpmn:endEvent id="end"/>' + chain("start", "work", "end")
    + event("boundaryEvent", "caught", error("err_late", 'camunda:errorCodeVariable="code" '
                                                         'camunda:errorMessageVariable="msg"'), 'attachedToRef="work"')
    + '<bpmn:endEvent id="end_caught"/>' + chain("caught", "end_caught", prefix="c")
    + sub_process("on_escalation", event("startEvent", "e_start", escalation(
        None, 'camunda:escalationCodeVariable="escalated"')) + '<bpmn:endEvent id="e_end"/>'
        + chain("e_start", "e_end", prefix="e"), event=True), "scoped")


def test_event_sub_processes_start_with_their_scope_and_keep_their_interrupting_flag():
    [process] = compile_models({"scoped.bpmn": CAUGHT}).processes
    for spec, esp, interrupting in ((process.spec, "on_escalation", True),
                                    (process.subprocess_specs["work"], "on_message", False)):
        assert spec.start.trigger_specs == []
        assert spec.task_specs[esp] in spec.start.outputs
        assert spec.task_specs[esp].extensions["event_subprocess"] == {"interrupting": interrupting}
    # The escalation start is an escalation start, not a none start that would fire at once.
    e_start = process.subprocess_specs["on_escalation"].task_specs["e_start"]
    assert type(e_start.event_definition).__name__ == "EscalationEventDefinition"


def test_catch_variables_and_error_messages_are_read_without_warnings_and_survive_storing():
    compiled = compile_models({"scoped.bpmn": CAUGHT})
    assert [w for w in compiled.warnings if "Variable" in w.message or "errorMessage" in w.message] == []
    [process] = compiled.processes
    spec, subprocess_specs = SpecCache().specs("scoped", lambda: dump_specs(process.spec, process.subprocess_specs))
    assert spec.task_specs["caught"].extensions == {"error_code_variable": "code", "error_message_variable": "msg"}
    assert subprocess_specs["on_escalation"].task_specs["e_start"].extensions == {
        "escalation_code_variable": "escalated"}
    assert subprocess_specs["work"].task_specs["fail"].extensions["error_message"] == "too late: ${reason}"
