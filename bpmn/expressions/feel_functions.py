"""FEEL's built-in functions by FEEL name (`FUNCTIONS`), and the boolean ones: `not`, `is`, and
Camunda 8's `is defined`, `get or else` and `assert`. The other families live in a module each:
feel_strings, feel_numbers, feel_collections (lists), feel_contexts, feel_conversions (with the
temporal ones), feel_json and feel_ranges.

Promise, as FEEL wants it: a function given arguments of the wrong type (or null) returns
null rather than raising; callers check the argument count (`Builtin.accepts`) beforehand. The
one exception is `assert`, whose purpose is to fail the evaluation (an ExpressionError).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, NamedTuple
from zoneinfo import ZoneInfo

from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel_collections import LIST_FUNCTIONS
from bpmn.expressions.feel_contexts import CONTEXT_FUNCTIONS
from bpmn.expressions.feel_conversions import CONVERSION_FUNCTIONS
from bpmn.expressions.feel_json import JSON_FUNCTIONS
from bpmn.expressions.feel_numbers import NUMERIC_FUNCTIONS
from bpmn.expressions.feel_ranges import RANGE_FUNCTIONS
from bpmn.expressions.feel_strings import STRING_FUNCTIONS
from bpmn.expressions.feel_values import equal, kind


class Builtin(NamedTuple):
    """A built-in: its Python implementation and how many arguments it takes (None: any)."""

    function: Callable[..., Any]
    min_args: int
    max_args: int | None

    def accepts(self, count: int) -> bool:
        return self.min_args <= count and (self.max_args is None or count <= self.max_args)

    def describe_arity(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args}"
        if self.min_args == self.max_args:
            return str(self.min_args)
        return f"{self.min_args} to {self.max_args}"


def _zone(value: Any) -> Any:
    """What tells two equal times apart for `is`: a zone id, an offset, or nothing (local)."""
    zone = value.tzinfo if isinstance(value, (dt.datetime, dt.time)) else None
    if zone is None:
        return None
    return zone.key if isinstance(zone, ZoneInfo) else zone.utcoffset(None)


def _is(a: Any, b: Any) -> bool:
    """DMN's `is`: the same value of the same type; unlike `=`, 10:00Z is not 11:00+01:00."""
    if a is None or b is None:
        return a is b
    return kind(a) == kind(b) and equal(a, b) is True and _zone(a) == _zone(b)


def _assert(value: Any, condition: Any, cause: Any = None) -> Any:
    if condition is True:
        return value
    raise ExpressionError(cause if isinstance(cause, str) else "assertion failed: the condition is not fulfilled")


BOOLEAN_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "not": (lambda value: (not value) if value is True or value is False else None, 1, 1),
    "is": (_is, 2, 2),
    # Camunda 8.4 and later: null counts as not defined (earlier versions said true).
    "is defined": (lambda value: value is not None, 1, 1),
    "get or else": (lambda value, default: default if value is None else value, 2, 2),
    "assert": (_assert, 2, 3),
}

FUNCTIONS: dict[str, Builtin] = {
    name: Builtin(*entry)
    for family in (BOOLEAN_FUNCTIONS, STRING_FUNCTIONS, NUMERIC_FUNCTIONS, LIST_FUNCTIONS, CONTEXT_FUNCTIONS,
                   CONVERSION_FUNCTIONS, JSON_FUNCTIONS, RANGE_FUNCTIONS)
    for name, entry in family.items()}
