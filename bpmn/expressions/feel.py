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
from typing import Any, Callable, Mapping

from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel_compiler import compile_tree
from bpmn.expressions.feel_syntax import parse_feel

__all__ = ["ExpressionError", "FeelExpression", "compile_feel", "is_feel"]


def is_feel(text: Any) -> bool:
    """Whether `text` is a FEEL expression: '=' first, surrounding whitespace ignored."""
    return isinstance(text, str) and text.lstrip().startswith("=")


class FeelExpression:
    """A compiled FEEL expression; immutable and safe to share between threads."""

    __slots__ = ("text", "variables", "_run")

    def __init__(self, text: str, run: Callable[[Mapping[str, Any]], Any], variables: frozenset[str]):
        self.text = text
        self.variables = variables
        self._run = run

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """The expression's value with `variables`; raises ExpressionError on any failure."""
        try:
            return self._run(variables)
        except ExpressionError as err:
            raise ExpressionError(err.message, expression=self.text, position=err.position) from None
        except RecursionError:
            raise ExpressionError("value or expression is nested too deeply", expression=self.text) from None
        except Exception as err:  # last line of defence: no bare Python error reaches callers
            raise ExpressionError(f"unexpected {type(err).__name__}: {err}", expression=self.text) from None

    def __repr__(self) -> str:
        return f"FeelExpression({self.text!r})"


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
