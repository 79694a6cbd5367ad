"""Fuse's BPMN parser: SpiffWorkflow's Camunda parser plus what it drops (Camunda 7 and 8 extensions).

Every task parser is given Fuse's extension reader, so each spec's `extensions` holds the dict
described in `bpmn.extensions`; user tasks, call activities and script tasks also read the
Camunda 8 (zeebe) forms of their attributes.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser, CamundaEndEventParser, CamundaEventDefinitionParser,
    CamundaIntermediateThrowEventParser,
)
from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.camunda.parser.task_spec import (
    BusinessRuleTaskParser, CallActivityParser, CamundaTaskParser, ScriptTaskParser, UserTaskParser,
)
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser

from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent, IntermediateThrowEvent, StartEvent

from bpmn.call_binding import BindingError, call_binding
from bpmn.compensation_specs import with_compensation
from bpmn.event_gateway import FirstEventGatewayParser
from bpmn.extensions.reader import read_extensions
from bpmn.inclusive_join import InclusiveGateway
from bpmn.multi_instance import CAMUNDA_MULTI_INSTANCE
from bpmn.event_scopes import StartEventParser
from bpmn.namespaces import bpmn, camunda, zeebe
from bpmn.prediction import queued
from bpmn.reserved_ids import FuseAdHocParser, FuseProcessParser
from bpmn.specs import (
    BusinessRuleTask, CallActivity, PassThroughTask, ScriptTask, ServiceTask, UserTask, ZeebeParallelMultiInstance,
    ZeebeSequentialMultiInstance,
)


def split_list(text: str | None) -> list[str]:
    """Camunda writes candidate lists comma-separated: "finance, managers"."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class ExtensionsMixin:
    """Replaces SpiffWorkflow's extension parsing (camunda:properties only) with Fuse's reader,
    and reads Camunda 8 multi-instance (zeebe:loopCharacteristics)."""

    def parse_extensions(self, node=None):
        return read_extensions(self.node if node is None else node)

    def _add_multiinstance_task(self, loop_characteristics):
        zeebe_loop = loop_characteristics.find(f".//{zeebe('loopCharacteristics')}")
        if zeebe_loop is None:
            if loop_characteristics.get(camunda("collection")) is not None:
                # SpiffWorkflow reads camunda:collection only in the parsers that derive from its Camunda
                # task parser (not script, business rule or receive tasks): read it for every task.
                CamundaTaskParser._add_multiinstance_task(self, loop_characteristics)
            else:
                super()._add_multiinstance_task(loop_characteristics)
            # SpiffWorkflow's Camunda parser names its classes itself; Fuse's keep the element variable
            # local (bpmn.multi_instance). They add no state, so the spec just built changes class.
            if (local := CAMUNDA_MULTI_INSTANCE.get(type(self.task))) is not None:
                self.task.__class__ = local
            return
        reference = lambda name: self._zeebe_reference(zeebe_loop, name)  # noqa: E731
        condition = loop_characteristics.find(bpmn("completionCondition"))
        sequential = loop_characteristics.get("isSequential") == "true"
        original = self.spec.task_specs.pop(self.task.name)
        multi_instance = ZeebeSequentialMultiInstance if sequential else ZeebeParallelMultiInstance
        self.task = multi_instance(
            self.spec, original.name, task_spec="", cardinality=None,
            data_input=reference("inputCollection"), input_item=reference("inputElement"),
            data_output=reference("outputCollection"), output_item=reference("outputElement"),
            condition=condition.text if condition is not None else None)
        self._copy_task_attrs(original, loop_characteristics)

    def _zeebe_reference(self, zeebe_loop, attribute: str):
        """A variable named by a zeebe:loopCharacteristics attribute (`=items` or `items`)."""
        value = (zeebe_loop.get(attribute) or "").strip().lstrip("=").strip()
        if not value:
            if attribute == "inputCollection":
                self.raise_validation_exception("zeebe:loopCharacteristics needs an inputCollection")
            return None
        if not value.isidentifier():
            self.raise_validation_exception(
                f"zeebe:loopCharacteristics {attribute} '{value}' must name a variable (expressions are not "
                "supported here yet)")
        return TaskDataReference(value)


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
    """Camunda 8 names the called process in zeebe:calledElement, not in calledElement; the sub-process spec
    name says how the called process is found (bpmn.call_binding)."""

    def create_task(self):
        try:
            binding = call_binding(self.node)
        except BindingError as err:
            self.raise_validation_exception(str(err))
        if binding is None:
            self.raise_validation_exception("call activity names no process: set calledElement "
                                            "(Camunda 7) or zeebe:calledElement processId (Camunda 8)")
        return self.spec_class(self.spec, self.bpmn_id, subworkflow_spec=binding.spec_name, **self.bpmn_attributes)


class FuseScriptTaskParser(ExtensionsMixin, ScriptTaskParser):
    """A Camunda 8 script task holds a FEEL expression in zeebe:script instead of a script body."""

    def get_script(self):
        if "script" in read_extensions(self.node):
            return None
        return super().get_script()


class FuseBusinessRuleTaskParser(ExtensionsMixin, BusinessRuleTaskParser):
    """The decision comes from camunda:decisionRef (Camunda 7) or zeebe:calledDecision (Camunda 8)."""

    @staticmethod
    def get_decision_ref(node):
        return node.get(camunda("decisionRef")) or read_extensions(node).get("decision", {}).get("decision_id")

    def create_task(self):
        decision_ref = self.get_decision_ref(self.node)
        if decision_ref is None:  # bound to a handler instead of a decision
            return ServiceTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        if decision_ref not in (deployed := self.process_parser.parser.dmn_parsers):
            self.raise_validation_exception(f"decision '{decision_ref}' is in no DMN file deployed with this model "
                                            f"(decisions deployed: {', '.join(sorted(deployed)) or 'none'})")
        # SpiffWorkflow's parser names its own spec class here; use the registered one.
        return self.spec_class(self.spec, self.bpmn_id,
                               dmnEngine=self.process_parser.parser.get_engine(decision_ref, self.node),
                               **self.bpmn_attributes)


class FuseBoundaryEventParser(CamundaBoundaryEventParser):
    """SpiffWorkflow refuses a boundary event with nothing to catch by raising NotImplementedError with the
    element's XML; say it in words instead."""

    CATCHABLE = ("timer", "message", "signal", "error", "escalation", "conditional", "cancel")

    def create_task(self):
        if not any(self.node.find(bpmn(f"{kind}EventDefinition")) is not None for kind in self.CATCHABLE):
            self.raise_validation_exception(
                f"boundary event '{self.node.get('name') or self.bpmn_id}' has no event definition it can catch: "
                "give it a timer, message, signal, error, escalation, conditional or cancel event definition")
        return super().create_task()


class FuseReceiveTaskParser(ExtensionsMixin, CamundaEventDefinitionParser, ReceiveTaskParser):
    """Receive tasks get Camunda's message definitions, like every other message event here."""


def _with_extensions(parser_class: type) -> type:
    if issubclass(parser_class, ExtensionsMixin):
        return parser_class
    return type(parser_class.__name__, (ExtensionsMixin, parser_class), {})


class FuseParser(CamundaParser):
    """The parser every deployment goes through."""

    PROCESS_PARSER_CLASS = FuseProcessParser
    AD_HOC_PARSER_CLASS = FuseAdHocParser

    OVERRIDE_PARSER_CLASSES = {
        tag: (_with_extensions(parser), queued(spec))
        for tag, (parser, spec) in {
            **BpmnParser.PARSER_CLASSES,
            **CamundaParser.OVERRIDE_PARSER_CLASSES,
            full_tag("startEvent"): (StartEventParser, StartEvent),
            full_tag("userTask"): (FuseUserTaskParser, UserTask),
            full_tag("task"): (CamundaTaskParser, PassThroughTask),
            full_tag("manualTask"): (CamundaTaskParser, PassThroughTask),
            full_tag("callActivity"): (FuseCallActivityParser, CallActivity),
            # SpiffWorkflow's Camunda parser runs embedded sub-processes as call activities too.
            full_tag("subProcess"): (CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][0], CallActivity),
            full_tag("scriptTask"): (FuseScriptTaskParser, ScriptTask),
            full_tag("businessRuleTask"): (FuseBusinessRuleTaskParser, BusinessRuleTask),
            full_tag("serviceTask"): (CamundaTaskParser, ServiceTask),
            # A send task bound to a handler sends through it (Camunda's usual way).
            full_tag("sendTask"): (CamundaTaskParser, ServiceTask),
            full_tag("eventBasedGateway"): (FirstEventGatewayParser,
                                            BpmnParser.PARSER_CLASSES[full_tag("eventBasedGateway")][1]),
            full_tag("boundaryEvent"): (FuseBoundaryEventParser, BoundaryEvent),
            full_tag("receiveTask"): (FuseReceiveTaskParser, BpmnParser.PARSER_CLASSES[full_tag("receiveTask")][1]),
            # Compensation throw and end events, and cancel end events in transactions (bpmn.compensation_specs).
            full_tag("intermediateThrowEvent"): (with_compensation(CamundaIntermediateThrowEventParser),
                                                 IntermediateThrowEvent),
            full_tag("endEvent"): (with_compensation(CamundaEndEventParser), EndEvent),
            full_tag("inclusiveGateway"): (BpmnParser.PARSER_CLASSES[full_tag("inclusiveGateway")][0],
                                           InclusiveGateway),
        }.items()
    }
