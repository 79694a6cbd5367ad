"""JUEL's type coercions and operators (EL 2.2 spec, section 1.8-1.10 and 1.18), on Python values.

Java types map as: null -> None, Boolean -> bool, Long -> int, Double -> float,
BigDecimal -> decimal.Decimal, String -> str. Every operator takes the operator's column
`pos` and raises ExpressionError(message, position=pos) instead of any Python error.
Deliberate differences from JUEL: division or modulo by zero is an error (Java gives
Infinity/NaN for doubles), and integers never overflow.
"""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Collection
from decimal import Decimal
from typing import Any, Callable

from bpmn.expressions.errors import ExpressionError

# Types for which Python's own operator already does what JUEL does (bool is excluded on
# purpose: Python treats True as 1, JUEL refuses to do arithmetic on booleans).
FAST_NUMBERS = frozenset({int, float})

_INT_TEXT = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def describe(value: Any) -> str:
    """A short, safe rendering of a value for error messages (never dumps large data)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, numbers.Number):
        return str(value)
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return f"a {type(value).__name__}"
    return f"an object of type {type(value).__name__}"


def fail(message: str, pos: int | None) -> ExpressionError:
    return ExpressionError(message, position=pos)


def to_bool(value: Any, pos: int | None) -> bool:
    """JUEL coercion to Boolean: null and '' are false, strings are true iff 'true' (any case)."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    if isinstance(value, str):
        return value.lower() == "true"
    raise fail(f"expected a boolean but got {describe(value)}", pos)


def to_str(value: Any) -> str:
    """JUEL coercion to String: null is '', booleans are 'true'/'false'."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def to_number(value: Any, pos: int | None) -> int | float | Decimal:
    """JUEL coercion to a number: null and '' are 0, numeric strings are parsed."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if value is None:
        return 0
    if isinstance(value, str):
        return _parse_number(value, pos)
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise fail(f"expected a number but got {describe(value)}", pos)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise fail(f"expected a number but got {describe(value)}", pos)


def _parse_number(text: str, pos: int | None) -> int | float:
    try:
        if text == "":
            return 0
        if _INT_TEXT.match(text):
            return int(text)
        if _FLOAT_TEXT.match(text):
            return float(text)
    except ValueError:  # e.g. more digits than Python converts
        pass
    raise fail(f"cannot convert {describe(text)} to a number", pos)


def to_int(value: Any, pos: int | None) -> int:
    """A number usable as an index or method argument (floats are truncated, as Java does)."""
    number = to_number(value, pos)
    try:
        return int(number)
    except (ValueError, OverflowError):
        raise fail(f"expected a whole number but got {describe(value)}", pos) from None


def _unify(a: Any, b: Any, pos: int | None) -> tuple[Any, Any]:
    """Coerce two operands to numbers of one kind: Decimal beats float beats int."""
    a, b = to_number(a, pos), to_number(b, pos)
    if type(a) is type(b):
        return a, b
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return _to_decimal(a), _to_decimal(b)
    if isinstance(a, float) or isinstance(b, float):
        return float(a), float(b)
    return a, b


def _to_decimal(number: int | float | Decimal) -> Decimal:
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def _compute(op: Callable[[Any, Any], Any], a: Any, b: Any, pos: int | None) -> Any:
    if a is None and b is None:
        return 0  # EL: both operands null -> 0
    x, y = _unify(a, b, pos)
    try:
        return op(x, y)
    except (ArithmeticError, ValueError, TypeError) as err:
        raise fail(f"cannot compute with {describe(a)} and {describe(b)}: {err}", pos) from None


def add(a: Any, b: Any, pos: int | None) -> Any:
    """`+` is numeric only in JUEL: two strings are added as numbers, never concatenated."""
    if type(a) in FAST_NUMBERS and type(b) in FAST_NUMBERS:
        return a + b
    try:
        return _compute(lambda x, y: x + y, a, b, pos)
    except ExpressionError as err:
        if isinstance(a, str) or isinstance(b, str):
            # People expect '+' to join text; say how JUEL does it instead.
            raise fail(f"{err.message} ('+' only adds numbers in JUEL; to join text write "
                       "it as a template such as '${a}${b}')", pos) from None
        raise


def subtract(a: Any, b: Any, pos: int | None) -> Any:
    if type(a) in FAST_NUMBERS and type(b) in FAST_NUMBERS:
        return a - b
    return _compute(lambda x, y: x - y, a, b, pos)


def multiply(a: Any, b: Any, pos: int | None) -> Any:
    if type(a) in FAST_NUMBERS and type(b) in FAST_NUMBERS:
        return a * b
    return _compute(lambda x, y: x * y, a, b, pos)


def divide(a: Any, b: Any, pos: int | None) -> Any:
    """`/` and `div` always give a float (a Decimal if either side is one), as in JUEL."""
    if a is None and b is None:
        return 0
    x, y = _unify(a, b, pos)
    if y == 0:
        raise fail(f"division by zero ({describe(a)} / {describe(b)})", pos)
    if isinstance(x, Decimal):
        return x / y
    try:
        return float(x) / float(y)
    except (ArithmeticError, ValueError) as err:
        raise fail(f"cannot divide {describe(a)} by {describe(b)}: {err}", pos) from None


def modulo(a: Any, b: Any, pos: int | None) -> Any:
    """`%` and `mod` follow Java: the result takes the sign of the dividend."""
    if a is None and b is None:
        return 0
    x, y = _unify(a, b, pos)
    if y == 0:
        raise fail(f"modulo by zero ({describe(a)} % {describe(b)})", pos)
    if isinstance(x, Decimal):
        return x % y  # Decimal's % already truncates towards zero, like Java
    if isinstance(x, float):
        return math.fmod(x, y)
    remainder = abs(x) % abs(y)
    return remainder if x >= 0 else -remainder


def negate(a: Any, pos: int | None) -> Any:
    if type(a) in FAST_NUMBERS:
        return -a
    return -to_number(a, pos)


def is_empty(value: Any) -> bool:
    """`empty`: null, '' and empty lists/maps/sets are empty; anything else is not."""
    if value is None:
        return True
    if isinstance(value, Collection):
        try:
            return len(value) == 0
        except Exception:  # a broken __len__ must not escape as a Python error
            return False
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def equals(a: Any, b: Any, pos: int | None) -> bool:
    """`==` / `eq` with EL's coercions: numbers first, then booleans, then strings."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    ta, tb = type(a), type(b)
    if ta is tb and (ta is str or ta is int or ta is float or ta is bool):
        return a == b
    if _is_number(a) or _is_number(b):
        x, y = _comparable_numbers(a, b, pos)
        return x == y
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a, pos) == to_bool(b, pos)
    if isinstance(a, str) or isinstance(b, str):
        return to_str(a) == to_str(b)
    try:
        return bool(a == b)
    except Exception as err:
        raise fail(f"cannot compare {describe(a)} with {describe(b)}: {err}", pos) from None


def _order(a: Any, b: Any, pos: int | None) -> tuple[Any, Any] | None:
    """Operands of <, >, <=, >= after EL coercion; None when either is null (result: false)."""
    if a is None or b is None:
        return None
    if _is_number(a) or _is_number(b):
        return _comparable_numbers(a, b, pos)
    if isinstance(a, str) or isinstance(b, str):
        return to_str(a), to_str(b)
    return a, b


def _comparable_numbers(a: Any, b: Any, pos: int | None) -> tuple[Any, Any]:
    """As JUEL does, a number is compared with a string by reading the string as a number."""
    try:
        return _unify(a, b, pos)
    except ExpressionError as err:
        raise fail(f"cannot compare {describe(a)} with {describe(b)}: {err.message}", pos) from None


def _relational(op: Callable[[Any, Any], Any], symbol: str) -> Callable[[Any, Any, Any], bool]:
    inclusive = symbol in ("<=", ">=")

    def compare(a: Any, b: Any, pos: int | None) -> bool:
        if type(a) in FAST_NUMBERS and type(b) in FAST_NUMBERS:
            return op(a, b)
        if a is b and inclusive:  # EL: identical operands satisfy <= and >=, even null
            return True
        pair = _order(a, b, pos)
        if pair is None:
            return False
        try:
            return bool(op(*pair))
        except Exception:
            raise fail(f"cannot compare {describe(a)} {symbol} {describe(b)}", pos) from None
    return compare


less = _relational(lambda x, y: x < y, "<")
greater = _relational(lambda x, y: x > y, ">")
less_equal = _relational(lambda x, y: x <= y, "<=")
greater_equal = _relational(lambda x, y: x >= y, ">=")
