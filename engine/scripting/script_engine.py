"""Expressions and scripts for SpiffWorkflow: JUEL or restricted Python, never plain eval."""
from __future__ import annotations

from collections import ChainMap
from typing import Any, Callable, Mapping

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel import compile_feel, is_feel
from bpmn.expressions.juel import compile_juel, is_juel
from bpmn.timer_schedules import is_iso8601_literal
from engine.errors import VariableTooLarge
from engine.scripting.sandbox import ScriptError, evaluate_expression, execute_script
from engine.store.variable_values import check_total, sort_variables

DEFAULT_TIME_LIMIT_S = 2.0


def _literal(text: str, _variables: Mapping, _limit: float) -> Any:
    return text


def _feel(text: str, variables: Mapping, _limit: float) -> Any:
    return compile_feel(text).evaluate(variables)


def _juel(text: str, variables: Mapping, _limit: float) -> Any:
    return compile_juel(text).evaluate(variables)


def _python(text: str, variables: Mapping, limit: float) -> Any:
    return evaluate_expression(text, variables, time_limit=limit)


# Dialects by how an expression looks, first match wins; Python is the SpiffWorkflow default.
DIALECTS: list[tuple[Callable[[str], bool], Callable[[str, Mapping, float], Any]]] = [
    (is_juel, _juel),
    (is_feel, _feel),
    (is_iso8601_literal, _literal),
    (lambda _text: True, _python),
]


def evaluate(text: str, variables: Mapping, time_limit: float = DEFAULT_TIME_LIMIT_S) -> Any:
    """Evaluate one expression (JUEL `${...}`, FEEL `=...`, an ISO 8601 literal, or Python)."""
    text = text.strip()
    for matches, dialect in DIALECTS:
        if matches(text):
            return dialect(text, variables, time_limit)
    raise AssertionError("the Python dialect matches everything")


class FuseScriptEngine(PythonScriptEngine):
    """The script engine every Fuse workflow runs with."""

    def __init__(self, time_limit: float = DEFAULT_TIME_LIMIT_S):
        super().__init__()
        self.time_limit = time_limit

    def evaluate(self, task, expression, external_context=None):
        if expression is None:  # e.g. a Camunda message thrown without a payload expression
            return None
        variables = ChainMap(task.data, external_context) if external_context else task.data
        try:
            return evaluate(expression, variables, self.time_limit)
        except (ExpressionError, ScriptError) as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from None

    def execute(self, task, script, external_context=None):
        try:
            execute_script(script, task.data, time_limit=self.time_limit)
        except ScriptError as err:
            line = err.line or 0
            error_line = script.splitlines()[line - 1] if 0 < line <= len(script.splitlines()) else ""
            raise WorkflowTaskException(f"script failed: {err}", task=task, exception=err,
                                        line_number=line, error_line=error_line) from None
        _keep_storable(task)
        return True


def _keep_storable(task) -> None:
    """Fail the task if its script left a value that cannot be stored; such values are dropped
    first, so that the failed instance itself can still be saved and read."""
    total, refused = sort_variables(task.data)
    for name in refused:
        del task.data[name]
    if refused:
        raise WorkflowTaskException(f"the script left a value that cannot be stored: {'; '.join(refused.values())}",
                                    task=task)
    try:
        check_total(total)
    except VariableTooLarge as err:
        raise WorkflowTaskException(f"after the script, {err.detail}", task=task) from None
