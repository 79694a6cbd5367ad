"""Checks Fuse makes before SpiffWorkflow parses a model, so that every problem is listed at once.

Each check takes a `bpmn:process` element and yields ElementProblems; CHECKS lists them all.
"""
from __future__ import annotations

import ast
from datetime import datetime
from typing import Callable, Iterator

from lxml import etree

from bpmn.compensation_checks import compensation
from bpmn.errors import ElementProblem, problem
from bpmn.event_gateway import event_gateway_targets
from bpmn.extensions.reader import read_extensions
from bpmn.lenient_xml import label, local
from bpmn.namespaces import CAMUNDA_NS, ZEEBE_NS, bpmn
from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel import compile_feel, is_feel
from bpmn.expressions.juel import compile_juel, is_juel
from bpmn.step_up import step_up_properties
from bpmn.timer_schedules import ScheduleError, is_cron, is_iso8601_literal, schedule_for

PYTHON_SCRIPT_FORMATS = {None, "", "python", "python3", "py"}
PYTHON_LANGUAGES = {None, "", "python", "python3", "juel", "feel"}


def unsupported_tasks(process: etree._Element) -> Iterator[ElementProblem]:
    """Service and send tasks run through a handler, so they must name one."""
    for tag in ("serviceTask", "sendTask"):
        for node in process.iter(bpmn(tag)):
            if "handler" not in read_extensions(node):
                yield problem(node, f"{tag} '{node.get('name') or node.get('id')}' names no handler: set "
                                    "camunda:class, camunda:delegateExpression, camunda:expression, "
                                    "camunda:type=\"external\" with camunda:topic, or zeebe:taskDefinition type")


def missing_decision_refs(definitions: etree._Element) -> list[ElementProblem]:
    """Business rule tasks without a decision, in any process of the file.

    SpiffWorkflow scans every process (executable or not) for decisions and crashes with a
    KeyError on these, so they are checked file-wide before it sees the file.
    """
    return [problem(node, "businessRuleTask needs camunda:decisionRef or zeebe:calledDecision naming a "
                          "DMN decision, or a handler")
            for node in definitions.iter(bpmn("businessRuleTask"))
            if node.get(f"{{{CAMUNDA_NS}}}decisionRef") is None
            and node.find(f".//{{{ZEEBE_NS}}}calledDecision") is None
            and "handler" not in read_extensions(node)]


# (element, attribute, what it must name): the references SpiffWorkflow resolves while it parses.
EVENT_REFERENCES = (
    ("messageEventDefinition", "messageRef", "message"), ("receiveTask", "messageRef", "message"),
    ("signalEventDefinition", "signalRef", "signal"), ("escalationEventDefinition", "escalationRef", "escalation"),
    ("errorEventDefinition", "errorRef", "error"),
)


def unresolved_event_refs(definitions: etree._Element) -> list[ElementProblem]:
    """Message, signal, escalation and error references that name no such element of the file.

    SpiffWorkflow crashes on them (a TypeError or an AssertionError) wherever they are, so they are
    checked file-wide before it sees the file. Camunda refuses them too, except an errorRef naming
    nothing, which it reads as the error code (bpmn.lenient_refs does the same).
    """
    kinds = {node.get("id"): local(node) for node in definitions.iter() if local(node) and node.get("id")}
    found = []
    for tag, attribute, kind in EVENT_REFERENCES:
        for node in definitions.iter(bpmn(tag)):
            reference = (node.get(attribute) or "").strip()
            if not reference or kinds.get(reference) == kind:
                continue
            owner = node if local(node) == "receiveTask" else node.getparent()
            named = f"names a bpmn:{kinds[reference]}" if reference in kinds else "names no element"
            found.append(problem(owner, f"'{label(owner)}': {attribute} '{reference}' {named} of this file, "
                                        f"where a bpmn:{kind} is expected"))
    return found


def collections(process: etree._Element) -> Iterator[ElementProblem]:
    """A multi-instance collection must name a variable holding a list (or `${variable}`)."""
    for loop in process.iter(bpmn("multiInstanceLoopCharacteristics")):
        collection = loop.get(f"{{{CAMUNDA_NS}}}collection")
        if collection is not None and not collection.strip().isidentifier():
            yield problem(loop.getparent(), f"camunda:collection '{collection}' must name a variable "
                                            "holding a list, e.g. reviewers or ${reviewers}")


def script_formats(process: etree._Element) -> Iterator[ElementProblem]:
    """Only Python scripts run; Camunda Modeler lets users pick Groovy or JavaScript too."""
    for node in process.iter(bpmn("scriptTask")):
        script_format = (node.get("scriptFormat") or "").strip().lower()
        if script_format not in PYTHON_SCRIPT_FORMATS:
            yield problem(node, f"scriptFormat '{node.get('scriptFormat')}' is not supported; "
                                "script tasks run Python")
            continue
        if node.get(f"{{{CAMUNDA_NS}}}resource"):
            yield problem(node, "external script resources (camunda:resource) are not supported")
            continue
        script = node.find(bpmn("script"))
        if script is None or not (script.text or "").strip():
            if (zeebe_script := node.find(f".//{{{ZEEBE_NS}}}script")) is not None:
                if message := expression_syntax_error(zeebe_script.get("expression") or ""):
                    yield problem(node, message)
                continue
            yield problem(node, "script task has no script")
            continue
        try:
            ast.parse(script.text, mode="exec")
        except SyntaxError as err:
            yield problem(node, f"Python syntax error in script, line {err.lineno}: {err.msg}")


# A parameter's script is evaluated as one expression, in the dialect its text is written in.
PARAMETER_SCRIPT_FORMATS = PYTHON_SCRIPT_FORMATS | {"juel"}
PARAMETERS = {f"{{{CAMUNDA_NS}}}inputParameter": "camunda:inputParameter",
              f"{{{CAMUNDA_NS}}}outputParameter": "camunda:outputParameter"}


def parameter_scripts(process: etree._Element) -> Iterator[ElementProblem]:
    """Scripts in camunda:inputParameter/outputParameter (lists and maps included) must be Python
    (or JUEL) expressions written in the model, as script tasks must be Python."""
    for script in process.iter(f"{{{CAMUNDA_NS}}}script"):
        parameter = next(script.iterancestors(*PARAMETERS), None)
        if parameter is None:
            continue  # outside parameters (e.g. in listeners), scripts are warned about as ignored
        owner = next(node for node in parameter.iterancestors() if local(node) and node.get("id"))
        where = f"{PARAMETERS[parameter.tag]} '{parameter.get('name')}' of '{label(owner)}'"
        script_format = (script.get("scriptFormat") or "").strip().lower()
        if script_format not in PARAMETER_SCRIPT_FORMATS:
            yield problem(owner, f"{where} is a {script.get('scriptFormat')} script; only Python (or JUEL) "
                                 "scripts run")
        elif script.get(f"{{{CAMUNDA_NS}}}resource") or script.get("resource"):
            yield problem(owner, f"{where} loads its script from a resource (camunda:resource), which is not "
                                 "supported: write the script in the model")
        elif not (script.text or "").strip():
            yield problem(owner, f"{where} has an empty script")
        elif message := expression_syntax_error(script.text.strip()):
            yield problem(owner, f"{where}: {message} (a parameter's script is evaluated as one expression)")


def conditions(process: etree._Element) -> Iterator[ElementProblem]:
    """Every condition must be JUEL or Python that at least parses."""
    for flow in process.iter(bpmn("sequenceFlow")):
        condition = flow.find(bpmn("conditionExpression"))
        if condition is None:
            continue
        text = (condition.text or "").strip()
        language = condition.get("language")
        if language and language.lower() not in PYTHON_LANGUAGES:
            yield problem(flow, f"condition language '{language}' is not supported")
        elif not text:
            yield problem(flow, "condition expression is empty")
        elif message := expression_syntax_error(text):
            yield problem(flow, message)


def expression_syntax_error(text: str) -> str | None:
    """Why `text` is not a valid JUEL or Python expression, or None if it is."""
    for matches, compile_ in ((is_feel, compile_feel), (is_juel, compile_juel)):
        if matches(text):
            try:
                compile_(text)
            except ExpressionError as err:
                return str(err)
            return None
    try:
        ast.parse(text, mode="eval")
    except SyntaxError as err:
        return f"cannot parse expression '{text}': {err.msg}"
    return None


TIMER_TIMES = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}


def timers(process: etree._Element) -> Iterator[ElementProblem]:
    """Every timer needs a time: a date, duration or cycle that is a valid ISO 8601 literal (or cron, for a
    cycle) or an expression that parses."""
    for definition in process.iter(bpmn("timerEventDefinition")):
        event = definition.getparent()
        time = next((child for child in definition if local(child) in TIMER_TIMES), None)
        if time is None or not (time.text or "").strip():
            yield problem(event, f"timer '{label(event)}' has no time: set a date (timeDate), a duration "
                                 "(timeDuration) or a cycle (timeCycle)")
        elif message := timer_value_error(local(time), time.text.strip()):
            yield problem(event, f"timer '{label(event)}': {message}")


def timer_value_error(tag: str, text: str) -> str | None:
    """Why the text of a timeDate/timeDuration/timeCycle can give no time, or None if it may."""
    kind = TIMER_TIMES[tag]
    cron = kind == "cycle" and is_cron(text)
    if cron or is_iso8601_literal(text):  # a literal, as the engine reads it: it must make a schedule
        try:
            schedule_for(kind, text, datetime.now())
        except ScheduleError as err:
            return f"{tag} '{text}' is not a valid {'cron expression' if cron else f'ISO 8601 {kind}'}{_why(err)}"
        return None
    if message := expression_syntax_error(text):
        return f"{tag} '{text}' is neither an ISO 8601 {kind} nor an expression: {message}"
    return None


def _why(err: ScheduleError) -> str:
    """The reason a schedule failed, in brackets, when the parser gave one in words (not just the value
    back, nor the name of an exception class)."""
    reason = str(err).rpartition(": ")[2].strip()
    if not reason or reason.startswith("'") or reason.endswith(("Error", "Exception")):
        return ""
    return f" ({reason})"


CHECKS: list[Callable[[etree._Element], Iterator[ElementProblem]]] = [
    unsupported_tasks, compensation, collections, script_formats, parameter_scripts, conditions, timers,
    event_gateway_targets, step_up_properties,
]


def check_process(process: etree._Element, file: str) -> list[ElementProblem]:
    """All problems Fuse itself finds in one executable process."""
    found = []
    for check in CHECKS:
        for item in check(process):
            found.append(ElementProblem(item.element_id, item.line, item.message, file))
    return found
