"""References between elements: prefixed (QName) references resolve, references naming nothing are
read as Camunda reads them or named as a problem, never a crash."""
from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from bpmn.compiler import compile_models
from bpmn.errors import ModelProblems
from helpers import REPRO, bpmn_document, flow, script_task
from plain_spiff import completed_ids


def run_to_end(process) -> BpmnWorkflow:
    workflow = BpmnWorkflow(process.spec, process.subprocess_specs)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    return workflow


def problems_of(model: bytes) -> list:
    with pytest.raises(ModelProblems) as caught:
        compile_models({"m.bpmn": model})
    return caught.value.problems


# --- data associations -----------------------------------------------------------------------

def test_a_data_association_naming_nothing_is_a_warning_naming_the_association():
    compilation = compile_models({"dangling.bpmn": (REPRO / "dangling-data-ref.bpmn").read_bytes()})
    [warning] = [w for w in compilation.warnings if w.element_id == "a"]
    assert "noSuchDataObject" in warning.message and warning.line and warning.file == "dangling.bpmn"
    [process] = compilation.processes
    assert {"s", "t", "e"} <= completed_ids(run_to_end(process))


# --- references naming nothing ---------------------------------------------------------------

def test_an_error_ref_naming_no_error_is_the_error_code_as_in_camunda():
    compilation = compile_models({"m.bpmn": (REPRO / "error-ref-without-error.bpmn").read_bytes()})
    [process] = compilation.processes
    end = next(s for s in process.spec.task_specs.values() if getattr(s, "bpmn_id", None) == "e")
    assert end.event_definition.code == "myError"
    [warning] = [w for w in compilation.warnings if w.element_id == "e"]
    assert "myError" in warning.message and "error code" in warning.message


def test_an_error_thrown_and_caught_by_an_undeclared_code_takes_the_boundary_path():
    inner = ('<bpmn:startEvent id="in_start"/><bpmn:endEvent id="fail">'
             '<bpmn:errorEventDefinition errorRef="PAYMENT_FAILED"/></bpmn:endEvent>' + flow("g1", "in_start", "fail"))
    model = bpmn_document(
        f'<bpmn:startEvent id="start"/><bpmn:subProcess id="pay">{inner}</bpmn:subProcess>'
        '<bpmn:boundaryEvent id="failed" attachedToRef="pay"><bpmn:errorEventDefinition errorRef="PAYMENT_FAILED"/>'
        '</bpmn:boundaryEvent>' + script_task("refund", "refunded = True") + '<bpmn:endEvent id="paid"/>'
        '<bpmn:endEvent id="refunded_end"/>' + flow("f1", "start", "pay") + flow("f2", "pay", "paid")
        + flow("f3", "failed", "refund") + flow("f4", "refund", "refunded_end"))
    [process] = compile_models({"m.bpmn": model}).processes
    workflow = run_to_end(process)
    assert workflow.data.get("refunded") is True and "paid" not in completed_ids(workflow)


UNDEFINED = {
    "escalation": (('<bpmn:intermediateThrowEvent id="raise"><bpmn:escalationEventDefinition escalationRef="late"/>'
                    '</bpmn:intermediateThrowEvent>'), "raise", "late"),
    "message": (('<bpmn:intermediateCatchEvent id="raise"><bpmn:messageEventDefinition messageRef="paid"/>'
                 '</bpmn:intermediateCatchEvent>'), "raise", "paid"),
    "signal": (('<bpmn:intermediateCatchEvent id="raise"><bpmn:signalEventDefinition signalRef="go"/>'
                '</bpmn:intermediateCatchEvent>'), "raise", "go"),
    "receive task": ('<bpmn:receiveTask id="raise" messageRef="paid"/>', "raise", "paid"),
}


@pytest.mark.parametrize("kind", UNDEFINED)
def test_an_escalation_message_or_signal_ref_naming_nothing_is_a_problem_of_its_element(kind):
    node, element_id, ref = UNDEFINED[kind]
    model = bpmn_document('<bpmn:startEvent id="start"/>' + node + '<bpmn:endEvent id="end"/>'
                          + flow("f1", "start", element_id) + flow("f2", element_id, "end"))
    [problem] = problems_of(model)
    assert problem.element_id == element_id and problem.line
    assert f"'{ref}'" in problem.message and "names no element" in problem.message
    assert "Error" not in problem.message


def test_an_error_ref_naming_an_element_of_another_kind_is_a_problem_of_its_event():
    model = bpmn_document('<bpmn:startEvent id="start"/><bpmn:endEvent id="fail"><bpmn:errorEventDefinition '
                          'errorRef="start"/></bpmn:endEvent>' + flow("f1", "start", "fail"))
    [problem] = problems_of(model)
    assert problem.element_id == "fail" and "errorRef 'start' names a bpmn:startEvent" in problem.message


# --- prefixed (QName) references -------------------------------------------------------------

def test_a_prefixed_message_ref_resolves():
    [process] = compile_models({"q.bpmn": (REPRO / "qname-message-ref.bpmn").read_bytes()}).processes
    catch = next(s for s in process.spec.task_specs.values() if getattr(s, "bpmn_id", None) == "c")
    assert catch.event_definition.name == "go"
    assert "go" in process.events["messages"]


def qualified_model(prefix: str) -> bytes:
    """Every kind of event reference, written with `prefix`; the error is thrown in a sub-process and
    caught on its boundary, the escalation likewise."""
    p = f"{prefix}:" if prefix else ""
    inner = (f'<bpmn:startEvent id="in_start"/><bpmn:intermediateThrowEvent id="escalate">'
             f'<bpmn:escalationEventDefinition escalationRef="{p}late"/></bpmn:intermediateThrowEvent>'
             f'<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="{p}failure"/></bpmn:endEvent>'
             + flow("g1", "in_start", "escalate") + flow("g2", "escalate", "fail"))
    return bpmn_document(
        f'<bpmn:startEvent id="start"/><bpmn:subProcess id="work">{inner}</bpmn:subProcess>'
        f'<bpmn:boundaryEvent id="failed" attachedToRef="{p}work"><bpmn:errorEventDefinition errorRef="{p}failure"/>'
        '</bpmn:boundaryEvent>'
        f'<bpmn:boundaryEvent id="was_late" attachedToRef="work" cancelActivity="false">'
        f'<bpmn:escalationEventDefinition escalationRef="{p}late"/></bpmn:boundaryEvent>'
        + script_task("note_late", "late = True")
        + f'<bpmn:intermediateThrowEvent id="shout"><bpmn:signalEventDefinition signalRef="{p}go"/>'
        '</bpmn:intermediateThrowEvent><bpmn:endEvent id="done"/><bpmn:endEvent id="late_end"/>'
        '<bpmn:endEvent id="never"/>'
        + flow("f1", "start", "work") + flow("f2", "work", "never") + flow("f3", f"{p}failed", "shout")
        + flow("f4", "shout", f"{p}done") + flow("f5", "was_late", "note_late") + flow("f6", "note_late", "late_end"),
        extra=('<bpmn:error id="failure" errorCode="FAILURE"/><bpmn:escalation id="late" escalationCode="LATE"/>'
               '<bpmn:signal id="go" name="go"/>')).replace(
        b'targetNamespace="http://fuse.test"', b'targetNamespace="http://fuse.test" xmlns:tns="http://fuse.test" '
        b'xmlns:other="http://elsewhere.test"')


@pytest.mark.parametrize("prefix", ["", "tns", "other"])
def test_error_escalation_signal_and_flow_refs_resolve_with_or_without_a_prefix(prefix):
    compilation = compile_models({"m.bpmn": qualified_model(prefix)})
    [process] = compilation.processes
    workflow = run_to_end(process)
    assert {"failed", "shout", "done", "was_late", "note_late"} <= completed_ids(workflow)
    assert "never" not in completed_ids(workflow)
    assert not [w for w in compilation.warnings if "prefix" in w.message or "names no" in w.message]
