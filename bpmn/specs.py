"""Fuse's own SpiffWorkflow task specs (registered with the parser and the serializer)."""
from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn.specs.defaults import CallActivity as SpiffCallActivity
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask as BpmnParallelMultiInstance
from SpiffWorkflow.bpmn.specs.defaults import SequentialMultiInstanceTask as BpmnSequentialMultiInstance
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask as CamundaBusinessRuleTask
from SpiffWorkflow.bpmn.specs.defaults import ScriptTask as SpiffScriptTask
from SpiffWorkflow.camunda.specs.user_task import UserTask as CamundaUserTask

from bpmn.call_binding import parse_spec_name
from bpmn.decisions import FeelDecisionEngine
from bpmn.multi_instance import LocalElementParallel, LocalElementSequential
from bpmn.prediction import QueuedPredictionMixin


class UserTask(QueuedPredictionMixin, CamundaUserTask):
    """A user task that also keeps who may work on it (SpiffWorkflow drops these attributes).

    `assignment` holds the raw attribute text: `assignee`, `candidate_users`, `candidate_groups`
    (lists, or one FEEL expression), `due_date`, `follow_up_date`, `priority`; expressions in them
    are evaluated when the task is created, against the instance's variables.
    """

    def __init__(self, wf_spec, bpmn_id, form, assignment=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, form, **kwargs)
        self.assignment = assignment or {}


class PassThroughTask(QueuedPredictionMixin, NoneTask):
    """`bpmn:task` and `bpmn:manualTask`: Camunda treats both as pass-through, so do we."""

    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class ScriptTask(QueuedPredictionMixin, SpiffScriptTask):
    """A script task: a Python script (Camunda 7 style), or a Camunda 8 `zeebe:script` expression
    whose value is stored in its result variable."""

    def _execute(self, task):
        expression = getattr(self, "extensions", {}).get("script")
        if self.script is None and expression:
            value = task.workflow.script_engine.evaluate(task, expression["expression"])
            if expression.get("result_variable"):
                task.data[expression["result_variable"]] = value
            return True
        return super()._execute(task)


class CallActivity(QueuedPredictionMixin, SpiffCallActivity):
    """A call activity honouring camunda:in/out and zeebe:calledElement's propagation flags.

    Without mappings every variable passes both ways (SpiffWorkflow's behaviour). With camunda:in,
    the called process gets exactly what the mappings name (`variables="all"` for everything);
    with camunda:out, the caller gets back exactly what they name.
    """

    def _call(self) -> dict:
        return (getattr(self, "extensions", None) or {}).get("call", {})

    def start_workflow(self, my_task):
        """A called process not compiled in is found when the call starts: the engine sets
        `resolve_called_process(spec_name) -> bool` on the top workflow (bpmn.call_binding)."""
        top = my_task.workflow.top_workflow
        binding = parse_spec_name(self.spec)
        if binding is not None and self.spec not in top.subprocess_specs:
            resolve = getattr(top, "resolve_called_process", None)
            if resolve is None or not resolve(self.spec):
                my_task.error()
                raise WorkflowTaskException(f"call activity {self.bpmn_id} calls {binding.describe()}, "
                                            "which is not deployed", task=my_task)
        super().start_workflow(my_task)

    def copy_data(self, my_task, subworkflow):
        call = self._call()
        if not call.get("in") and call.get("propagate_all_parent_variables", True):
            return super().copy_data(my_task, subworkflow)
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        start.set_data(**deepcopy(_mapped(call.get("in", []), my_task, my_task.data)))

    def update_data(self, my_task, subworkflow):
        call = self._call()
        if not call.get("out") and call.get("propagate_all_child_variables", True):
            return super().update_data(my_task, subworkflow)
        returned = _mapped(call.get("out", []), my_task, subworkflow.last_task.data)
        my_task.data = {**deepcopy(my_task.data), **deepcopy(returned)}


def _mapped(mappings: list[dict], task, source: dict) -> dict:
    """Variables named by camunda:in/out mappings, read from `source`."""
    result: dict = {}
    for mapping in mappings:
        if mapping.get("variables") == "all":
            result.update(source)
        elif "source" in mapping:
            if mapping["source"] in source:
                result[mapping.get("target") or mapping["source"]] = source[mapping["source"]]
        elif "sourceExpression" in mapping:
            value = task.workflow.script_engine.evaluate(task, mapping["sourceExpression"])
            result[mapping.get("target")] = value
    return result


class BusinessRuleTask(QueuedPredictionMixin, CamundaBusinessRuleTask):
    """A DMN decision; with a result variable (camunda:resultVariable + mapDecisionResult, or
    zeebe:calledDecision resultVariable) the result goes there, shaped as Camunda shapes it;
    without one, each output becomes a variable of its own name (SpiffWorkflow's way)."""

    def __init__(self, wf_spec, bpmn_id, dmnEngine, **kwargs):
        # Parsed or restored from JSON, the table is decided with FEEL (bpmn.decisions).
        super().__init__(wf_spec, bpmn_id, FeelDecisionEngine(dmnEngine.decision_table), **kwargs)

    def _run_hook(self, my_task):
        extensions = getattr(self, "extensions", None) or {}
        target = extensions.get("decision", {}).get("result_variable") or extensions.get("result_variable")
        if not target:
            return super()._run_hook(my_task)
        result = self.dmnEngine.result(my_task)
        my_task.data[target] = _shaped(result, extensions)
        return True


def _shaped(result: dict, extensions: dict):
    if "decision" in extensions:  # Camunda 8: one output is its value, several are a context
        return next(iter(result.values())) if len(result) == 1 else result
    mapping = extensions.get("map_decision_result") or "resultList"
    single = next(iter(result.values()), None)
    return {"singleEntry": single, "singleResult": result, "collectEntries": [single]}.get(mapping, [result])


class ZeebeParallelMultiInstance(QueuedPredictionMixin, LocalElementParallel, BpmnParallelMultiInstance):
    """Multi-instance from zeebe:loopCharacteristics (input and output collections of their own)."""


class ZeebeSequentialMultiInstance(QueuedPredictionMixin, LocalElementSequential, BpmnSequentialMultiInstance):
    """Sequential multi-instance from zeebe:loopCharacteristics."""


SERVICE_DONE = "fuse_service_done"  # internal_data: the engine called the handler and stored its outputs


class ServiceTask(QueuedPredictionMixin, SpiffServiceTask):
    """A service (or send, or handler-bound business rule) task. The engine calls its handler
    before running it (engine.runtime.service_calls); running it then only completes it."""

    def _run_hook(self, my_task):
        if not my_task.internal_data.pop(SERVICE_DONE, False):
            raise WorkflowTaskException("service task ran before its handler was called", task=my_task)
        return True
