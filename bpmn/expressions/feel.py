"""FEEL (the `=expression` language of Camunda 8 / Zeebe, DMN 1.3) for Fuse.

    is_feel(text)          -> True if `text` is a FEEL expression (starts with '=')
    compile_feel(text)     -> FeelExpression (cached per text; the '=' is optional here);
                              ExpressionError on bad syntax, an unknown function or a wrong
                              argument count
    expr.evaluate(vars)    -> the value; ExpressionError on any failure
    expr.variables         -> frozenset of top-level variable names the expression may read
    expr.text              -> the text as given
    compile_unary_tests(text)       -> FeelUnaryTests: a decision table's input entry (`"a", "b"`,
                                       `< 10`, `not([1..5])`, `-`, `? > x`; blank means any input)
    tests.matches(value, vars)      -> True, False or None (null: it cannot say) for an input value

FEEL semantics, not Python's: an unknown name is null, and an operator or function applied
to values it does not fit gives null instead of failing (`"a" + 1` is null, `null > 1` is
null, `if null then 1 else 2` is 2). Lists are 1-based. Expressions are parsed with lark and
compiled to closures; user text is never given to Python's eval or exec.
"""
from __future__ import annotations

import functools
from typing import Any, Mapping

from bpmn.expressions.compiled import CompiledExpression
from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel_access import Scope
from bpmn.expressions.feel_compiler import INPUT, compile_tree, compile_unary_tree
from bpmn.expressions.feel_syntax import parse_feel

__all__ = ["ExpressionError", "FeelExpression", "FeelUnaryTests", "compile_feel", "compile_unary_tests",
           "is_feel"]


def is_feel(text: Any) -> bool:
    """Whether `text` is a FEEL expression: '=' first, surrounding whitespace ignored."""
    return isinstance(text, str) and text.lstrip().startswith("=")


class FeelExpression(CompiledExpression):
    """A compiled FEEL expression; immutable and safe to share between threads."""

    __slots__ = ()


def compile_feel(text: str) -> FeelExpression:
    """Parse and compile `text` once (results are cached per text)."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, not {type(text).__name__}")
    return _compile(text)


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> FeelExpression:
    tree, offset = parse_feel(text)
    try:
        run, names = compile_tree(tree, offset)
    except ExpressionError as err:
        raise type(err)(err.message, expression=text, position=err.position) from None
    return FeelExpression(text, run, names)


class FeelUnaryTests(CompiledExpression):
    """Compiled unary tests; immutable and safe to share between threads."""

    __slots__ = ()

    def matches(self, value: Any, variables: Mapping[str, Any]) -> bool | None:
        """Whether `value` passes the tests (null when it cannot be told); ExpressionError on failure."""
        return self.evaluate(Scope({INPUT: value}, variables))


def compile_unary_tests(text: str) -> FeelUnaryTests:
    """Parse and compile a decision table's input entry once (results are cached per text)."""
    if not isinstance(text, str):
        raise ExpressionError(f"unary tests must be a string, not {type(text).__name__}")
    return _compile_tests(text)


@functools.lru_cache(maxsize=4096)
def _compile_tests(text: str) -> FeelUnaryTests:
    if not text.strip():  # an empty cell, like '-', lets any input through
        return FeelUnaryTests(text, lambda variables: True, frozenset())
    tree, offset = parse_feel(text, start="unary_tests")
    try:
        run, names = compile_unary_tree(tree, offset)
    except ExpressionError as err:
        raise type(err)(err.message, expression=text, position=err.position) from None
    return FeelUnaryTests(text, run, names)
