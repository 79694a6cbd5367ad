"""The one exception type every expression failure is reported as.

Promise: parsing or evaluating an expression never lets a Python TypeError, KeyError,
ZeroDivisionError, ... escape; callers catch ExpressionError alone.
"""
from __future__ import annotations


class ExpressionError(Exception):
    """An expression could not be parsed or evaluated.

    `message` says what went wrong ("unknown variable 'amout'"), `expression` is the full
    expression text (None while not yet known) and `position` the 0-based column into it
    (None when no single place is to blame).
    """

    prefix = "Cannot evaluate"

    def __init__(self, message: str, expression: str | None = None, position: int | None = None):
        # All three go to Exception.args so that pickling/copying rebuilds the same error.
        super().__init__(message, expression, position)
        self.message = message
        self.expression = expression
        self.position = position

    def __str__(self) -> str:
        text = self.message
        if self.expression is not None:
            text = f"{self.prefix} '{self.expression}': {text}"
        if self.position is not None:
            text = f"{text} (at column {self.position})"
        return text


class ExpressionSyntaxError(ExpressionError):
    """The expression text does not parse (raised when compiling, before any evaluation)."""

    prefix = "Cannot parse"
