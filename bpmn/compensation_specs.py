"""Fuse's specs for events that compensate, their parsers and their serializer converters.

A compensating event (a compensation throw or end event, or a cancel end event in a transaction) does not
run like other tasks: when it becomes ready the engine (engine.runtime.compensation) starts the handlers of the
completed activities it compensates, one after another, each as a sub-workflow hosted by the event's task;
the event completes only once all of them finished (BPMN's waitForCompletion="true" - always, in Fuse).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.event_parsers import CANCEL_EVENT_XPATH
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.serializer.default.process_spec import AdHocSubprocessSpecConverter, BpmnProcessSpecConverter
from SpiffWorkflow.bpmn.serializer.default.task_spec import EventConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import AdHocSubprocessSpec, BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, IntermediateThrowEvent
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.util.task import TaskState

from bpmn.namespaces import bpmn
from bpmn.prediction import QueuedPredictionMixin

COMPENSATING = "fuse_compensating"  # internal_data: the compensation under way (engine.runtime.compensation)
COMPENSATED = "fuse_compensated"    # internal_data: everything is compensated, the event may complete


class CompensatingEvent(QueuedPredictionMixin):
    """Mixin for events that compensate before they complete (see the module docstring)."""

    def __init__(self, wf_spec, bpmn_id, event_definition, activity_ref=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, event_definition, **kwargs)
        self.activity_ref = activity_ref

    def _update_hook(self, my_task):
        if COMPENSATING in my_task.internal_data:
            return False  # under way: a handler finished; inheriting the data again would lose its results
        return super()._update_hook(my_task)

    def _on_subworkflow_completed(self, subworkflow, my_task):
        """A handler finished: ready again, so that the engine starts the next one (unless the event
        was cancelled meanwhile: cancelling its handler completes that too)."""
        if my_task.state == TaskState.STARTED:
            my_task._set_state(TaskState.READY)

    def _run_hook(self, my_task):
        if not my_task.internal_data.get(COMPENSATED):
            raise WorkflowTaskException("a compensation event ran before it compensated", task=my_task)
        return super()._run_hook(my_task)

    def _on_cancel(self, my_task):
        handler = my_task.workflow.top_workflow.get_subprocess(my_task)
        if handler is not None:
            handler.cancel()
        super()._on_cancel(my_task)


class CompensationThrowEvent(CompensatingEvent, IntermediateThrowEvent):
    """An intermediate throw event with a compensateEventDefinition (activityRef: one activity, else all)."""


class CompensationEndEvent(CompensatingEvent, EndEvent):
    """An end event with a compensateEventDefinition."""


class TransactionCancelEndEvent(CompensatingEvent, EndEvent):
    """A cancel end event in a transaction: compensates the transaction's completed activities, then
    throws the cancel event that its cancel boundary event catches."""


class CompensationEventParser:
    """Mixin for the throw and end event parsers: events that compensate get Fuse's specs."""

    def create_task(self):
        is_end = self.node.tag == full_tag("endEvent")
        definition = self.node.find(bpmn("compensateEventDefinition"))
        if definition is not None:
            spec_class = CompensationEndEvent if is_end else CompensationThrowEvent
            task = spec_class(self.spec, self.bpmn_id, event_definition=NoneEventDefinition(),
                              activity_ref=definition.get("activityRef"), **self.bpmn_attributes)
        elif is_end and self.xpath(CANCEL_EVENT_XPATH) and self.node.getparent().tag == bpmn("transaction"):
            task = TransactionCancelEndEvent(self.spec, self.bpmn_id,
                                             event_definition=self.get_event_definition([CANCEL_EVENT_XPATH]),
                                             **self.bpmn_attributes)
        else:
            return super().create_task()
        if is_end:
            task.connect(self.spec.end)
        return task


def with_compensation(parser_class: type) -> type:
    """`parser_class` that also parses compensating events."""
    return type(parser_class.__name__, (CompensationEventParser, parser_class), {})


class CompensatingEventConverter(EventConverter):
    def to_dict(self, spec):
        return {**super().to_dict(spec), "activity_ref": spec.activity_ref}


class CatalogueConverter:
    """Mixin for process spec converters: keeps the compensation catalogue (bpmn.compensation)."""

    def to_dict(self, spec):
        dct = super().to_dict(spec)
        if getattr(spec, "compensation", None):
            dct["compensation"] = spec.compensation
        return dct

    def from_dict(self, dct):
        compensation = dct.pop("compensation", None)
        spec = super().from_dict(dct)
        spec.compensation = compensation
        return spec


class ProcessSpecConverter(CatalogueConverter, BpmnProcessSpecConverter):
    pass


class AdHocSpecConverter(CatalogueConverter, AdHocSubprocessSpecConverter):
    pass


def compensation_converters() -> dict:
    """Converter classes by spec class, for the serializer configuration."""
    return {CompensationThrowEvent: CompensatingEventConverter, CompensationEndEvent: CompensatingEventConverter,
            TransactionCancelEndEvent: CompensatingEventConverter, BpmnProcessSpec: ProcessSpecConverter,
            AdHocSubprocessSpec: AdHocSpecConverter}
