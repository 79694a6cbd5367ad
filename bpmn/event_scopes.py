"""Event sub-processes and thrown errors, prepared once when a model is compiled.

SpiffWorkflow starts an event sub-process with a message, signal, error or escalation start only
when the event reaches the top of a process, and never interrupts anything. Fuse instead starts
every event sub-process together with the scope that holds it (the process, or an embedded
sub-process), where it waits at its start event like a boundary event waits on its activity:
messages and signals find it through the subscription table, timers through the job table, errors
and escalations through engine.runtime.event_routing, at any depth. engine.runtime.event_subprocesses decides what
happens when one fires (interrupt the scope, or run beside it).

So that the engine needs no XML at run time, this pass writes into the specs' `extensions`:
- on each event sub-process: `event_subprocess: {"interrupting": bool}`;
- on each error end event whose bpmn:error has camunda:errorMessage: `error_message`.
"""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH, MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)

from bpmn.namespaces import bpmn, camunda
from bpmn.scheduled_start import FuseStartEventParser

EVENT_SUBPROCESS = "event_subprocess"
ERROR_MESSAGE = "error_message"


def element_index(documents: dict[str, etree._Element]) -> dict[str, dict[str, etree._Element]]:
    """file name -> element id -> element, for every element with an id."""
    return {file: {node.get("id"): node for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
            for file, root in documents.items()}


def prepare_event_scopes(spec, subprocess_specs: dict, elements: dict[str, dict[str, etree._Element]]) -> None:
    """Start every event sub-process with its scope and mark what the engine needs (idempotent:
    called processes are shared between the processes that call them)."""
    for scope in (spec, *subprocess_specs.values()):
        in_file = elements.get(scope.file, {})
        for task_spec in list(scope.task_specs.values()):
            node = in_file.get(getattr(task_spec, "bpmn_id", None) or "")
            if node is None:
                continue
            if node.tag == bpmn("subProcess") and node.get("triggeredByEvent") == "true":
                _start_with_scope(scope, task_spec, node)
            elif node.tag == bpmn("endEvent"):
                _error_message(task_spec, node, in_file)


def _start_with_scope(scope, task_spec, node: etree._Element) -> None:
    if task_spec.name in scope.start.trigger_specs:
        scope.start.trigger_specs.remove(task_spec.name)
    if task_spec not in scope.start.outputs:
        scope.start.connect(task_spec)
        task_spec.connect(scope.end)
    start = node.find(bpmn("startEvent"))
    interrupting = start is None or start.get("isInterrupting", "true") != "false"
    # An error always ends its scope (BPMN allows no non-interrupting error start event).
    if start is not None and start.find(bpmn("errorEventDefinition")) is not None:
        interrupting = True
    task_spec.extensions = {**(getattr(task_spec, "extensions", None) or {}),
                            EVENT_SUBPROCESS: {"interrupting": interrupting}}


def _error_message(task_spec, node: etree._Element, in_file: dict[str, etree._Element]) -> None:
    """camunda:errorMessage of the bpmn:error an error end event throws (text or ${...})."""
    definition = node.find(bpmn("errorEventDefinition"))
    if definition is None or not definition.get("errorRef"):
        return
    error = in_file.get(definition.get("errorRef"))
    message = error.get(camunda("errorMessage")) if error is not None and error.tag == bpmn("error") else None
    if message:
        task_spec.extensions = {**(getattr(task_spec, "extensions", None) or {}), ERROR_MESSAGE: message}


class StartEventParser(FuseStartEventParser):
    """Start events, with the error and escalation starts of event sub-processes (SpiffWorkflow
    reads those as none start events, which would fire at once)."""

    def create_task(self):
        kinds = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH]
        if self.node.getparent().get("triggeredByEvent") == "true":
            kinds += [ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]
        task = self._create_task(self.get_event_definition(kinds))
        self.spec.start.connect(task)
        return task
