"""Fuse's own SpiffWorkflow task specs (registered with the parser and the serializer)."""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.bpmn.specs.defaults import ScriptTask as SpiffScriptTask
from SpiffWorkflow.camunda.specs.user_task import UserTask as CamundaUserTask


class UserTask(CamundaUserTask):
    """A user task that also keeps who may work on it (SpiffWorkflow drops these attributes).

    `assignment` holds the raw attribute text: `assignee`, `candidate_users`, `candidate_groups`
    (lists, or one FEEL expression), `due_date`, `follow_up_date`, `priority`; expressions in them
    are evaluated when the task is created, against the instance's variables.
    """

    def __init__(self, wf_spec, bpmn_id, form, assignment=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, form, **kwargs)
        self.assignment = assignment or {}


class PassThroughTask(NoneTask):
    """`bpmn:task` and `bpmn:manualTask`: Camunda treats both as pass-through, so do we."""

    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class ScriptTask(SpiffScriptTask):
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
