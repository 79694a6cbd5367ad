"""FEEL (the `=expression` language of Camunda 8 / Zeebe, DMN 1.3) for Fuse.

    is_feel(text)          -> True if `text` is a FEEL expression (starts with '=')
    compile_feel(text)     -> FeelExpression (cached per text; the '=' is optional here);
                              ExpressionError on bad syntax, an unknown function or a wrong
                              argument count
    expr.evaluate(vars)    -> the value; ExpressionError on any failure
    expr.variables         -> frozenset of top-level variable names the expression may read
    expr.text              -> the text as given

FEEL semantics, not Python's: an unknown name is null, and an operator or function applied
to values it does not fit gives null instead of failing (`"a" + 1` is null, `null > 1` is
null, `if null then 1 else 2` is 2). Lists are 1-based. Expressions are parsed with lark and
compiled to closures; user text is never given to Python's eval or exec.
"""
from __future__ import annotations

import functools
from typing import Any

from bpmn.expressions.compiled import CompiledExpression
from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel_compiler import compile_tree
from bpmn.expressions.feel_syntax import parse_feel

__all__ = ["ExpressionError", "FeelExpression", "compile_feel", "is_feel"]


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
