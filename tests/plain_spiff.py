"""Running compiled specs on plain SpiffWorkflow, without the engine: what the bpmn tests check a model does."""
from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState


def completed_ids(workflow: BpmnWorkflow) -> set[str]:
    """The BPMN ids of every completed task, sub-processes included."""
    tasks = [t for wf in (workflow, *workflow.subprocesses.values()) for t in wf.get_tasks(state=TaskState.COMPLETED)]
    return {t.task_spec.bpmn_id for t in tasks if t.task_spec.bpmn_id}
