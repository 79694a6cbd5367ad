"""Fuse's BPMN parser: SpiffWorkflow's Camunda parser plus the extensions it drops."""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, UserTaskParser

from bpmn.specs import PassThroughTask, UserTask

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


def split_list(text: str | None) -> list[str]:
    """Camunda writes candidate lists comma-separated: "finance, managers"."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class FuseUserTaskParser(UserTaskParser):
    """Reads assignee, candidates, due date and priority along with the form."""

    def create_task(self):
        return self.spec_class(
            self.spec, self.bpmn_id, form=self.get_form(), assignment=self.assignment(),
            **self.bpmn_attributes)

    def assignment(self) -> dict:
        attr = lambda name: self.node.get(f"{{{CAMUNDA_NS}}}{name}")  # noqa: E731
        return {
            "assignee": attr("assignee"),
            "candidate_users": split_list(attr("candidateUsers")),
            "candidate_groups": split_list(attr("candidateGroups")),
            "due_date": attr("dueDate"),
            "follow_up_date": attr("followUpDate"),
            "priority": attr("priority"),
        }


class FuseParser(CamundaParser):
    """The parser every deployment goes through."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (FuseUserTaskParser, UserTask),
        full_tag("task"): (CamundaTaskParser, PassThroughTask),
        full_tag("manualTask"): (CamundaTaskParser, PassThroughTask),
    }
