"""Fuse's own SpiffWorkflow task specs (registered with the parser and the serializer)."""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.camunda.specs.user_task import UserTask as CamundaUserTask


class UserTask(CamundaUserTask):
    """A user task that also keeps who may work on it (SpiffWorkflow drops these attributes).

    `assignment` holds the raw attribute text: `assignee`, `candidate_users`, `candidate_groups`
    (lists), `due_date`, `follow_up_date`, `priority`; expressions in them are evaluated when the
    task is created, against the instance's variables.
    """

    def __init__(self, wf_spec, bpmn_id, form, assignment=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, form, **kwargs)
        self.assignment = assignment or {}


class PassThroughTask(NoneTask):
    """`bpmn:task` and `bpmn:manualTask`: Camunda treats both as pass-through, so do we."""

    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False
