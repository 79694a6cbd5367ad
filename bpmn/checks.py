"""Checks Fuse makes before SpiffWorkflow parses a model, so that every problem is listed at once.

Each check takes a `bpmn:process` element and yields ElementProblems; CHECKS lists them all.
"""
from __future__ import annotations

import ast
from typing import Callable, Iterator

from lxml import etree

from bpmn.compensation_checks import compensation
from bpmn.errors import ElementProblem, problem
from bpmn.event_gateway import event_gateway_targets
from bpmn.extensions.reader import read_extensions
from bpmn.namespaces import CAMUNDA_NS, ZEEBE_NS, bpmn
from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel import compile_feel, is_feel
from bpmn.expressions.juel import compile_juel, is_juel

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


CHECKS: list[Callable[[etree._Element], Iterator[ElementProblem]]] = [
    unsupported_tasks, compensation, collections, script_formats, conditions, event_gateway_targets,
]


def check_process(process: etree._Element, file: str) -> list[ElementProblem]:
    """All problems Fuse itself finds in one executable process."""
    found = []
    for check in CHECKS:
        for item in check(process):
            found.append(ElementProblem(item.element_id, item.line, item.message, file))
    return found
