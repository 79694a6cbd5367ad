"""Any id a modeller may write works, even the names SpiffWorkflow gives its own task specs
('Start', 'End', 'Root', '<process>.EndJoin', ...): the model compiles, runs to its end, and every
task still reports the modeller's id."""
from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from bpmn.compiler import compile_models
from bpmn.serializer import spec_config
from helpers import REPRO, bpmn_document, flow, script_task
from plain_spiff import completed_ids

LIBRARY_NAMES = ["Start", "End", "Root", "p.EndJoin", "sub.EndJoin", "StartEventSplit", "StartEventJoin",
                 "work.BoundaryEventSplit"]


def chain(start: str, task: str, end: str, prefix: str = "f") -> str:
    """start event -> script task (appends its id to `ran`) -> end event."""
    return (f'<bpmn:startEvent id="{start}"/>' + script_task(task, "ran = (ran or []) + ['" + task + "']")
            + f'<bpmn:endEvent id="{end}"/>' + flow(f"{prefix}1", start, task) + flow(f"{prefix}2", task, end))


def top_level(start: str, task: str, end: str) -> bytes:
    return bpmn_document(chain(start, task, end))


def in_sub_process(start: str, task: str, end: str) -> bytes:
    return bpmn_document('<bpmn:startEvent id="outer_start"/><bpmn:subProcess id="sub">'
                         + chain(start, task, end, prefix="g") + '</bpmn:subProcess><bpmn:endEvent id="outer_end"/>'
                         + flow("f1", "outer_start", "sub") + flow("f2", "sub", "outer_end"))


def run_to_end(spec, subprocess_specs) -> BpmnWorkflow:
    """Plain SpiffWorkflow, straight from the compiled specs."""
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.task_tree.data["ran"] = None
    workflow.do_engine_steps()
    assert workflow.is_completed()
    return workflow


def placements(name: str) -> list[tuple[str, str, str]]:
    return [(name, "work", "finish"), ("begin", name, "finish"), ("begin", "work", name)]


@pytest.mark.parametrize("builder", [top_level, in_sub_process])
@pytest.mark.parametrize("ids", [ids for name in LIBRARY_NAMES for ids in placements(name)], ids=str)
def test_an_element_named_like_a_library_task_runs_to_the_end(ids, builder):
    [process] = compile_models({"m.bpmn": builder(*ids)}).processes
    workflow = run_to_end(process.spec, process.subprocess_specs)
    assert set(ids) <= completed_ids(workflow)
    assert workflow.data["ran"] == [ids[1]]


def test_start_events_named_like_the_split_and_join_spiffworkflow_puts_between_them():
    model = bpmn_document('<bpmn:startEvent id="StartEventSplit"/><bpmn:startEvent id="StartEventJoin"/>'
                          + script_task("work", "ran = 1") + '<bpmn:endEvent id="End"/>'
                          + flow("f1", "StartEventSplit", "work") + flow("f2", "StartEventJoin", "work")
                          + flow("f3", "work", "End"))
    [process] = compile_models({"m.bpmn": model}).processes
    assert {"work", "End"} <= completed_ids(run_to_end(process.spec, process.subprocess_specs))


def test_start_end_and_root_ids_run_after_a_round_trip_through_json():
    [process] = compile_models({"m.bpmn": top_level("Start", "Root", "End")}).processes
    registry = BpmnWorkflowSerializer.configure(spec_config())
    spec = registry.restore(registry.convert(process.spec))
    subprocess_specs = {name: registry.restore(registry.convert(s)) for name, s in process.subprocess_specs.items()}
    assert {"Start", "Root", "End"} <= completed_ids(run_to_end(spec, subprocess_specs))


def test_the_spec_of_a_renamed_element_keeps_the_modellers_id_and_name():
    model = bpmn_document('<bpmn:startEvent id="Start" name="Order received"/><bpmn:endEvent id="End"/>'
                          + flow("f1", "Start", "End"))
    [process] = compile_models({"m.bpmn": model}).processes
    by_id = {s.bpmn_id: s for s in process.spec.task_specs.values() if getattr(s, "bpmn_id", None)}
    assert set(by_id) == {"Start", "End"}
    assert by_id["Start"].bpmn_name == "Order received"
    assert process.activities["Start"]["type"] == "startEvent"


@pytest.mark.parametrize("file", ["start-id-Start.bpmn", "start-id-Begin.bpmn"])
def test_the_repro_models_run_to_the_end(file):
    [process] = compile_models({file: (REPRO / file).read_bytes()}).processes
    workflow = BpmnWorkflow(process.spec, process.subprocess_specs)
    workflow.do_engine_steps()
    assert workflow.is_completed()


@pytest.mark.parametrize("sub_process_id", ["Start", "End", "cancellation"])
def test_an_event_sub_process_named_like_a_library_task_leaves_the_library_its_own(sub_process_id):
    model = bpmn_document(
        '<bpmn:startEvent id="begin"/>' + script_task("work", "ran = 1") + '<bpmn:endEvent id="finish"/>'
        + flow("f1", "begin", "work") + flow("f2", "work", "finish")
        + f'<bpmn:subProcess id="{sub_process_id}" triggeredByEvent="true"><bpmn:startEvent id="cancelled">'
        '<bpmn:messageEventDefinition messageRef="cancel"/></bpmn:startEvent><bpmn:endEvent id="cancel_end"/>'
        + flow("g1", "cancelled", "cancel_end") + '</bpmn:subProcess>',
        extra='<bpmn:message id="cancel" name="cancel"/>')
    [process] = compile_models({"m.bpmn": model}).processes
    spec = process.spec
    assert spec.task_specs["Start"] is spec.start and type(spec.task_specs["End"]).__name__ == "SimpleBpmnTask"
    assert spec.start.trigger_specs == []  # Fuse starts every event sub-process with its scope
    workflow = BpmnWorkflow(spec, process.subprocess_specs)
    workflow.do_engine_steps()
    waiting = {t.task_spec.bpmn_id for wf in workflow.subprocesses.values()
               for t in wf.get_tasks(state=TaskState.WAITING)}
    assert waiting == {"cancelled"}
