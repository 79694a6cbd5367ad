"""Fuse's BPMN parser: SpiffWorkflow's Camunda parser plus what it drops (Camunda 7 and 8 extensions).

Every task parser is given Fuse's extension reader, so each spec's `extensions` holds the dict
described in `bpmn.extensions`; user tasks, call activities and script tasks also read the
Camunda 8 (zeebe) forms of their attributes.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, full_tag
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import (
    CallActivityParser, CamundaTaskParser, ScriptTaskParser, UserTaskParser,
)
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser

from bpmn.extensions.reader import read_extensions
from bpmn.namespaces import camunda
from bpmn.specs import CallActivity, PassThroughTask, ScriptTask, UserTask


def split_list(text: str | None) -> list[str]:
    """Camunda writes candidate lists comma-separated: "finance, managers"."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class ExtensionsMixin:
    """Replaces SpiffWorkflow's extension parsing (camunda:properties only) with Fuse's reader."""

    def parse_extensions(self, node=None):
        return read_extensions(self.node if node is None else node)


class FuseUserTaskParser(ExtensionsMixin, UserTaskParser):
    """Reads assignee, candidates, due date and priority (Camunda 7 or 8) along with the form."""

    def create_task(self):
        return self.spec_class(
            self.spec, self.bpmn_id, form=self.get_form(), assignment=self.assignment(),
            **self.bpmn_attributes)

    def assignment(self) -> dict:
        attr = lambda name: self.node.get(camunda(name))  # noqa: E731
        found = {
            "assignee": attr("assignee"),
            "candidate_users": split_list(attr("candidateUsers")),
            "candidate_groups": split_list(attr("candidateGroups")),
            "due_date": attr("dueDate"),
            "follow_up_date": attr("followUpDate"),
            "priority": attr("priority"),
        }
        found.update(read_extensions(self.node).get("assignment", {}))
        return found


class FuseCallActivityParser(ExtensionsMixin, CallActivityParser):
    """Camunda 8 names the called process in zeebe:calledElement, not in calledElement."""

    def create_task(self):
        process_id = self.node.get("calledElement") or read_extensions(self.node).get("call", {}).get("process_id")
        if not process_id:
            self.raise_validation_exception("call activity names no process: set calledElement "
                                            "(Camunda 7) or zeebe:calledElement processId (Camunda 8)")
        return self.spec_class(self.spec, self.bpmn_id, subworkflow_spec=process_id, **self.bpmn_attributes)


class FuseScriptTaskParser(ExtensionsMixin, ScriptTaskParser):
    """A Camunda 8 script task holds a FEEL expression in zeebe:script instead of a script body."""

    def get_script(self):
        if "script" in read_extensions(self.node):
            return None
        return super().get_script()


def _with_extensions(parser_class: type) -> type:
    if issubclass(parser_class, ExtensionsMixin):
        return parser_class
    return type(parser_class.__name__, (ExtensionsMixin, parser_class), {})


class FuseParser(CamundaParser):
    """The parser every deployment goes through."""

    OVERRIDE_PARSER_CLASSES = {
        tag: (_with_extensions(parser), spec)
        for tag, (parser, spec) in {
            **BpmnParser.PARSER_CLASSES,
            **CamundaParser.OVERRIDE_PARSER_CLASSES,
            full_tag("userTask"): (FuseUserTaskParser, UserTask),
            full_tag("task"): (CamundaTaskParser, PassThroughTask),
            full_tag("manualTask"): (CamundaTaskParser, PassThroughTask),
            full_tag("callActivity"): (FuseCallActivityParser, CallActivity),
            # SpiffWorkflow's Camunda parser runs embedded sub-processes as call activities too.
            full_tag("subProcess"): (CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][0], CallActivity),
            full_tag("scriptTask"): (FuseScriptTaskParser, ScriptTask),
        }.items()
    }
