"""Where a thrown BPMN error or escalation goes: the nearest scope that catches it.

From the thrower outwards: the boundary events of the activity that threw (a service task whose
handler raised it), the event sub-processes of the scope the thrower runs in, then the boundary
events of that scope's activity (the sub-process or call activity) and the event sub-processes
around it, and so on up to the process. At each level a catch event naming the code wins over a
catch-all one (no errorRef / escalationRef). The catch event gets the thrower's variables, and the
code and message in the variables its camunda:errorCodeVariable, errorMessageVariable or
escalationCodeVariable name.

An error nobody catches fails the instance; an escalation nobody catches is only recorded, and the
thrower goes on. A thrower whose event interrupts (an error always does) does not complete: it
waits (THREW) until the catcher cancels it, so that its scope cannot end normally in between.
SpiffWorkflow's own routing of these events (which ignores scopes) is switched off.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    CodeEventDefinition, ErrorEventDefinition, EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.simple import TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent, EventManager
from SpiffWorkflow.util.task import TaskState

from bpmn.event_scopes import ERROR_MESSAGE
from bpmn.expressions.feel import is_feel
from bpmn.expressions.juel import is_juel
from engine.runtime.async_boundaries import THREW
from engine.runtime.event_subprocesses import dormant_start_events, is_interrupting, owner_of
from engine.history.recorder import HistoryRecorder

# Variables a catch event fills, by kind of event: (extension key, what goes in).
CAUGHT_VARIABLES = {
    ErrorEventDefinition: (("error_code_variable", "code"), ("error_message_variable", "message")),
    EscalationEventDefinition: (("escalation_code_variable", "code"),),
}
HISTORY_EVENT = {ErrorEventDefinition: "bpmn_error_thrown", EscalationEventDefinition: "escalation_thrown"}


@dataclass
class Thrown:
    """An error or escalation on its way to a catch event."""

    kind: type  # ErrorEventDefinition or EscalationEventDefinition
    code: str | None
    message: str | None
    variables: dict


class ScopedEventManager(EventManager):
    """SpiffWorkflow's event manager without its own handling of errors and escalations (Fuse
    routes them before the thrower runs) and of terminate events (the end event itself ends its
    scope; SpiffWorkflow would only park them as events for other processes)."""

    def catch(self, event, internal=True):
        if isinstance(event.event_definition, (CodeEventDefinition, TerminateEventDefinition)):
            return 0
        return super().catch(event, internal)


def use_scoped_events(workflow) -> None:
    """Give a freshly built or loaded workflow Fuse's event manager (keeping its waiting tasks)."""
    manager = ScopedEventManager(workflow)
    manager.tasks = workflow.event_manager.tasks
    workflow.event_manager = manager


def _boundary_events(activity) -> list:
    parent = activity.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return []
    return [t for t in parent.children if isinstance(t.task_spec, BoundaryEvent) and t.state == TaskState.WAITING]


def _best(candidates: list, thrown: Thrown):
    """The candidate that catches `thrown`: one naming its code before a catch-all."""
    matching = [t for t in candidates if isinstance(t.task_spec.event_definition, thrown.kind)
                and t.task_spec.event_definition.code in (None, thrown.code)]
    matching.sort(key=lambda t: t.task_spec.event_definition.code is None)
    return matching[0] if matching else None


def find_catcher(scope, activity, thrown: Thrown):
    """The catch event for `thrown`, thrown in workflow `scope` (by task `activity`, whose own
    boundary events come first, if given); None if nothing catches it."""
    while True:
        if activity is not None and (catcher := _best(_boundary_events(activity), thrown)) is not None:
            return catcher
        if (catcher := _best(dormant_start_events(scope), thrown)) is not None:
            return catcher
        if scope.parent_task_id is None:
            return None
        activity = scope.top_workflow.get_task_from_id(scope.parent_task_id)
        scope = activity.workflow


def _deliver(catcher, thrown: Thrown) -> None:
    payload = dict(thrown.variables)
    extensions = getattr(catcher.task_spec, "extensions", None) or {}
    for key, field in CAUGHT_VARIABLES[thrown.kind]:
        if extensions.get(key):
            payload[extensions[key]] = getattr(thrown, field)
    definition = catcher.task_spec.event_definition
    catcher.task_spec.catch(catcher, BpmnEvent(thrown.kind(definition.name, thrown.code), payload=payload))
    catcher.task_spec._update(catcher)


def interrupts(catcher) -> bool:
    """Whether the catch event ends what threw: an interrupting boundary event or event sub-process."""
    if isinstance(catcher.task_spec, BoundaryEvent):
        return catcher.task_spec.cancel_activity
    owner = owner_of(catcher)
    return owner is None or is_interrupting(owner)


def throw(task, thrown: Thrown, history: HistoryRecorder, activity=None):
    """Route `thrown` from `task` to its catch event (or fail, for an uncaught error); returns the
    catch event, or None."""
    catcher = find_catcher(task.workflow, activity, thrown)
    history.record(HISTORY_EVENT[thrown.kind], activity_id=task.task_spec.bpmn_id, data={
        "code": thrown.code, "message": thrown.message,
        "caught_by": catcher.task_spec.bpmn_id if catcher is not None else None})
    if catcher is None and thrown.kind is ErrorEventDefinition:
        raise WorkflowTaskException(f"BPMN error {thrown.code} ({thrown.message}) was not caught", task=task)
    if catcher is not None:
        _deliver(catcher, thrown)
    return catcher


def _thrown_by(task) -> Thrown:
    """What an error or escalation end/throw event throws: its code (an expression is evaluated),
    its message (camunda:errorMessage) and the thrower's variables."""
    definition = task.task_spec.event_definition
    kind = ErrorEventDefinition if isinstance(definition, ErrorEventDefinition) else EscalationEventDefinition
    evaluate = task.workflow.script_engine.evaluate
    code = definition.code
    if code and (is_feel(code) or is_juel(code)):
        code = str(evaluate(task, code))
    message = (getattr(task.task_spec, "extensions", None) or {}).get(ERROR_MESSAGE)
    if message and is_juel(message):
        message = str(evaluate(task, message))
    return Thrown(kind, code, message, deepcopy(task.data))


def throws_and_waits(task, history: HistoryRecorder) -> bool:
    """Called before the runner runs `task`: an error or escalation end or throw event is routed
    here. True when it must not run (its catcher interrupts it)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(task.task_spec, ThrowingEvent) or not isinstance(
            definition, (ErrorEventDefinition, EscalationEventDefinition)):
        return False
    thrown = _thrown_by(task)
    try:
        catcher = throw(task, thrown, history)
    except WorkflowTaskException:
        task.error()  # in error, as SpiffWorkflow leaves a task whose run failed (a repair can retry it)
        raise
    if catcher is not None and interrupts(catcher):
        task.internal_data[THREW] = thrown.code or HISTORY_EVENT[thrown.kind]
        return True
    return False
