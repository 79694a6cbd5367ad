"""A compiled expression of any dialect: its text, the names it reads, and how to evaluate it."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from bpmn.expressions import budget
from bpmn.expressions.errors import ExpressionError


class CompiledExpression:
    """Immutable and safe to share between threads; every failure is an ExpressionError."""

    __slots__ = ("text", "variables", "_run")

    def __init__(self, text: str, run: Callable[[Mapping[str, Any]], Any], variables: frozenset[str]):
        self.text = text
        self.variables = variables
        self._run = run

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """The expression's value with `variables`; raises ExpressionError on any failure, also when
        the evaluation passes its budget of iterations, size or time (budget.py)."""
        budget.begin()
        try:
            return self._run(variables)
        except ExpressionError as err:
            raise ExpressionError(err.message, expression=self.text, position=err.position) from None
        except MemoryError:
            raise ExpressionError("out of memory", expression=self.text) from None
        except RecursionError:
            raise ExpressionError("value or expression is nested too deeply", expression=self.text) from None
        except Exception as err:  # last line of defence: no bare Python error reaches callers
            raise ExpressionError(f"unexpected {type(err).__name__}: {err}", expression=self.text) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


def build_guarded(compiler, tree, offset: int) -> tuple[Callable[[Mapping[str, Any]], Any], frozenset[str]]:
    """Run a dialect's tree compiler; a tree too deep for Python's stack is an ExpressionError."""
    try:
        evaluator = compiler.build(tree)
    except RecursionError:
        raise ExpressionError("expression is nested too deeply", position=offset) from None
    return evaluator, frozenset(compiler.names)
