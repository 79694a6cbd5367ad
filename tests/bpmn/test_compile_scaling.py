"""Compiling grows with the model, not with its square, and no model is too long to parse or start."""
from __future__ import annotations

import time

from SpiffWorkflow.bpmn import BpmnWorkflow

from bpmn.compiler import compile_models
from helpers import NAMESPACES, bpmn_document, chain_process, flow, script_task


def _compile_seconds(tasks: int) -> float:
    model = chain_process(tasks)
    began = time.perf_counter()
    compile_models({"chain.bpmn": model})
    return time.perf_counter() - began


def test_compile_time_grows_linearly_with_the_chain():
    _compile_seconds(200)  # warm up imports and caches
    small = min(_compile_seconds(2000) for _ in range(2))
    large = min(_compile_seconds(8000) for _ in range(2))
    # Four times the tasks: about 4x when linear, 16x when quadratic.
    assert large / small < 8, (small, large)


def test_a_chain_of_20000_tasks_compiles():
    [process] = compile_models({"chain.bpmn": chain_process(20_000)}).processes
    assert "t19999" in process.spec.task_specs


def test_a_chain_of_5000_tasks_parses_and_starts_without_recursion_error():
    [process] = compile_models({"chain.bpmn": chain_process(5000)}).processes
    # A new workflow predicts every future task of the chain (SpiffWorkflow does it recursively).
    workflow = BpmnWorkflow(process.spec, process.subprocess_specs)
    assert len(workflow.tasks) > 5000


def test_a_long_loop_parses_with_its_back_flow():
    tasks = 3000
    body = ['<bpmn:startEvent id="start"/>', '<bpmn:exclusiveGateway id="again" default="f_done"/>',
            '<bpmn:endEvent id="end"/>', flow("f_in", "start", "t0")]
    for index in range(tasks):
        body.append(script_task(f"t{index}", "n = n + 1"))
        target = f"t{index + 1}" if index + 1 < tasks else "again"
        body.append(flow(f"f{index}", f"t{index}", target))
    body += [flow("f_back", "again", "t0", "n < 3"), flow("f_done", "again", "end")]
    [process] = compile_models({"loop.bpmn": bpmn_document("\n".join(body), "loop")}).processes
    gateway = process.spec.task_specs["again"]
    assert {spec.name for spec in gateway.outputs} == {"t0", "end"}
    assert {spec.name for spec in process.spec.task_specs["t0"].inputs} == {"start", "again"}


def test_a_long_chain_of_events_and_gateways_starts_without_recursion_error():
    body, previous = ['<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>'], "start"
    for index in range(1500):
        tag = "intermediateThrowEvent" if index % 2 else "parallelGateway"
        body += [f'<bpmn:{tag} id="n{index}"/>', flow(f"f{index}", previous, f"n{index}")]
        previous = f"n{index}"
    body.append(flow("f_end", previous, "end"))
    [process] = compile_models({"events.bpmn": bpmn_document("\n".join(body), "events")}).processes
    # Running it is the engine's part (tests/engine/test_long_chains.py): it prunes the finished tasks, which
    # SpiffWorkflow's joins would otherwise walk back through one nested call each.
    workflow = BpmnWorkflow(process.spec, process.subprocess_specs)
    assert len(workflow.tasks) > 1500


def _many_processes(count: int) -> bytes:
    processes = "".join(
        f'<bpmn:process id="p{i}" isExecutable="true"><bpmn:startEvent id="s{i}"/><bpmn:endEvent id="e{i}"/>'
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="s{i}" targetRef="e{i}"/></bpmn:process>' for i in range(count))
    return f'<bpmn:definitions {NAMESPACES} id="d" targetNamespace="http://fuse.test">{processes}</bpmn:definitions>'.encode()


def test_compile_time_grows_linearly_with_the_number_of_processes():
    def seconds(count: int) -> float:
        model = _many_processes(count)
        began = time.process_time()  # CPU time: other work on a loaded CI machine does not count
        compile_models({"many.bpmn": model})
        return time.process_time() - began

    seconds(20)
    small, large = min(seconds(250) for _ in range(3)), min(seconds(1000) for _ in range(3))
    assert large / small < 8, (small, large)
