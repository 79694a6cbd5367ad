"""FEEL's values and operators on Python values (DMN 1.3, section 10.3.2), null-safe.

Types map as: null -> None, boolean -> bool, number -> int / float (Decimal from variables
is kept), string -> str, list -> list (tuples are read as lists), context -> dict (any
Mapping is read as one), date / time / date and time -> datetime.date / time / datetime,
days-time duration -> timedelta, years-months duration -> feel_temporal.YearsMonths.

Promise, as FEEL wants it: an operator applied to values it does not fit (`"a" + 1`,
`1 < "x"`, anything with null) gives null; none of these functions raises.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from bpmn.expressions import feel_temporal as temporal
from bpmn.expressions.budget import charge_size

# Types for which Python's own operator already does what FEEL does (bool is excluded on
# purpose: Python treats True as 1, FEEL refuses to do arithmetic on booleans).
FAST_NUMBERS = frozenset({int, float})
# 2**x for an int exponent above this would take seconds and megabytes; FEEL numbers are
# 34-digit decimals anyway, so such powers are computed in floating point instead.
_MAX_EXACT_POWER_BITS = 4096
# The longest text one built-in may build (`string join`, `replace`, `to json`): a list of a
# thousand references to one long string would otherwise become gigabytes in one call.
MAX_TEXT = 10_000_000


@dataclass(frozen=True)
class Range:
    """A range value such as `[1..10)`: its endpoints and whether each is included."""

    start: Any
    end: Any
    start_included: bool
    end_included: bool



def in_range(value: Any, bounds: Range) -> bool | None:
    """Whether `value` lies in `bounds`; null when it cannot be compared with the endpoints."""
    low = (less_equal if bounds.start_included else less)(bounds.start, value)
    if low is False:
        return False
    return all_of([low, (less_equal if bounds.end_included else less)(value, bounds.end)])


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def whole(value: Any) -> int | None:
    """A whole number (a position, a length, a scale) as an int, else None."""
    if is_number(value):
        try:
            if value == int(value):
                return int(value)
        except (ArithmeticError, ValueError):  # infinity or NaN
            pass
    return None


def is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def kind(value: Any) -> str:
    """FEEL's type of `value`: the unit in which values compare and calculate."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if is_list(value):
        return "list"
    if isinstance(value, Mapping):
        return "context"
    if isinstance(value, Range):
        return "range"
    return temporal.kind(value) or type(value).__name__


def tidy(number: Any) -> Any:
    """A whole float as an int (`10 / 2` is 5, as FEEL's decimals print it), else as is."""
    if type(number) is float and number.is_integer() and abs(number) < 2 ** 53:
        return int(number)
    return number


def _unify(a: Any, b: Any) -> tuple[Any, Any]:
    """Two numbers of one Python type: Decimal beats float beats int."""
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return to_decimal(a), to_decimal(b)
    return a, b


def to_decimal(number: Any) -> Decimal:
    # repr, not the binary value: 0.1 must become Decimal('0.1'), not 0.1000000000000000055...
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def _numeric(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    try:
        x, y = _unify(a, b)
        return op(x, y)
    except (ArithmeticError, ValueError, TypeError, InvalidOperation):
        return None


# --- arithmetic --------------------------------------------------------------------------------

def add(a: Any, b: Any) -> Any:
    if type(a) in FAST_NUMBERS and type(b) in FAST_NUMBERS:
        try:
            return a + b
        except OverflowError:  # an int too large for a float
            return None
    if a is None or b is None:
        return None
    if isinstance(a, str) and isinstance(b, str):
        joined = a + b
        charge_size(joined)  # `{a: s, b: a + a, c: b + b, ...}` doubles with every entry
        return joined
    if is_number(a) and is_number(b):
        return _numeric(operator.add, a, b)
    return temporal.add(a, b)


def subtract(a: Any, b: Any) -> Any:
    if type(a) in FAST_NUMBERS and type(b) in FAST_NUMBERS:
        try:
            return a - b
        except OverflowError:
            return None
    if a is None or b is None:
        return None
    if is_number(a) and is_number(b):
        return _numeric(operator.sub, a, b)
    return temporal.subtract(a, b)


def multiply(a: Any, b: Any) -> Any:
    if type(a) in FAST_NUMBERS and type(b) in FAST_NUMBERS:
        try:
            product = a * b
        except OverflowError:
            return None
        return product if type(product) is int or math.isfinite(product) else None
    if a is None or b is None:
        return None
    if is_number(a) and is_number(b):
        return _numeric(operator.mul, a, b)
    return temporal.multiply(a, b)


def divide(a: Any, b: Any) -> Any:
    """`/`: division by zero is null; an exact quotient of whole numbers stays whole."""
    if a is None or b is None:
        return None
    if is_number(a) and is_number(b):
        if b == 0:
            return None
        if type(a) is int and type(b) is int and a % b == 0:
            return a // b
        return _numeric(lambda x, y: tidy(_checked_float(x / y)), a, b)
    return temporal.divide(a, b)


def power(a: Any, b: Any) -> Any:
    if not (is_number(a) and is_number(b)):
        return None
    if type(a) is int and type(b) is int and b >= 0:
        if abs(a) < 2 or b * a.bit_length() <= _MAX_EXACT_POWER_BITS:
            return a ** b
    try:
        return tidy(_checked_float(math.pow(float(a), float(b))))
    except (ArithmeticError, ValueError):  # overflow, or a negative base to a fraction
        return None


def negate(a: Any) -> Any:
    if is_number(a):
        return -a
    return temporal.negate(a)


def _checked_float(value: Any) -> Any:
    # FEEL numbers have no infinity or NaN; a float that overflowed is no number at all.
    if type(value) is float and not math.isfinite(value):
        raise ArithmeticError("not a finite number")
    return value


# --- comparison --------------------------------------------------------------------------------

def equal(a: Any, b: Any) -> bool | None:
    """FEEL `=`: null equals only null; values of different types give null."""
    if a is None or b is None:
        return a is b
    ta = type(a)
    if ta is type(b) and (ta is str or ta is int or ta is bool):
        return a == b
    kind_a = kind(a)
    if kind_a != kind(b):
        return None
    if kind_a == "number":
        x, y = _unify(a, b)
        return x == y
    if kind_a == "list":
        if len(a) != len(b):
            return False
        return all(equal(x, y) is True for x, y in zip(a, b))
    if kind_a == "context":
        if set(a.keys()) != set(b.keys()):
            return False
        return all(equal(a[key], b[key]) is True for key in a)
    try:
        return bool(a == b)
    except Exception:  # an odd user object must not break FEEL's null semantics
        return None


def not_equal(a: Any, b: Any) -> bool | None:
    result = equal(a, b)
    return None if result is None else not result


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool | None]:
    def compare(a: Any, b: Any) -> bool | None:
        if type(a) in FAST_NUMBERS and type(b) in FAST_NUMBERS:
            return op(a, b)
        kind_a = kind(a)
        if kind_a != kind(b) or kind_a not in _ORDERED_KINDS:
            return None
        try:
            return bool(op(a, b))
        except (TypeError, ValueError, ArithmeticError):  # e.g. naive vs aware date and time
            return None
    return compare


_ORDERED_KINDS = frozenset({"number", "string", "date", "time", "date and time",
                            "days and time duration", "years and months duration"})

less = _ordered(operator.lt)
greater = _ordered(operator.gt)
less_equal = _ordered(operator.le)
greater_equal = _ordered(operator.ge)


def all_of(results: list[Any]) -> bool | None:
    """Ternary `and` over already computed values: false wins, then null, then true."""
    if any(result is False for result in results):
        return False
    return True if all(result is True for result in results) else None


def any_of(results: list[Any]) -> bool | None:
    """Ternary `or` over already computed values: true wins, then null, then false."""
    if any(result is True for result in results):
        return True
    return False if all(result is False for result in results) else None
