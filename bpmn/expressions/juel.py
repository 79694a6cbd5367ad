"""JUEL (the `${...}` / `#{...}` expression language of Camunda 7) for Fuse.

    is_juel(text)          -> True if `text` contains a `${` or `#{` expression
    compile_juel(text)     -> JuelExpression (cached per text); ExpressionError on bad syntax
    expr.evaluate(vars)    -> the value; ExpressionError on any failure
    expr.variables         -> frozenset of top-level variable names the expression reads

A text that is one `${...}` (surrounding whitespace ignored, since BPMN XML text is
usually indented) evaluates to the raw value; text mixing literal parts and expressions
("Hello ${name}!") evaluates to a string. Expressions are parsed with lark and compiled
to closures; user text is never given to Python's eval or exec.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Mapping

from bpmn.expressions.compiled import CompiledExpression
from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.juel_compiler import compile_tree
from bpmn.expressions.juel_syntax import split_template, parse_expression
from bpmn.expressions.juel_values import to_str

__all__ = ["ExpressionError", "JuelExpression", "compile_juel", "is_juel"]

# An unescaped `${` or `#{` (JUEL writes a literal one as `\${`).
_OPENER = re.compile(r"(?<!\\)[$#]\{")


def is_juel(text: Any) -> bool:
    """Whether `text` is (or contains) a JUEL expression rather than, say, Python."""
    return isinstance(text, str) and _OPENER.search(text) is not None


class JuelExpression(CompiledExpression):
    """A compiled JUEL text; immutable and safe to share between threads."""

    __slots__ = ()


def compile_juel(text: str) -> JuelExpression:
    """Parse and compile `text` once (results are cached per text)."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, not {type(text).__name__}")
    return _compile(text)


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> JuelExpression:
    parts = split_template(text)
    compiled: list[Callable[[Mapping[str, Any]], Any]] = []
    names: set[str] = set()
    for part in parts:
        if not part.is_expr:
            compiled.append(_literal(part.text))
            continue
        tree = parse_expression(part.text, text, part.start)
        try:
            run, used = compile_tree(tree, part.text, part.start)
        except ExpressionError as err:
            raise type(err)(err.message, expression=text, position=err.position) from None
        compiled.append(run)
        names |= used
    expressions = [part for part in parts if part.is_expr]
    if len(expressions) == 1 and all(p.is_expr or not p.text.strip() for p in parts):
        run = compiled[parts.index(expressions[0])]
    elif len(compiled) == 1 and not expressions:
        run = compiled[0]
    else:
        run = _concatenation(compiled)
    return JuelExpression(text, run, frozenset(names))


def _literal(text: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda variables: text


def _concatenation(pieces: list[Callable[[Mapping[str, Any]], Any]]) -> Callable[[Mapping[str, Any]], str]:
    def concatenate(variables: Mapping[str, Any]) -> str:
        return "".join([to_str(piece(variables)) for piece in pieces])
    return concatenate
