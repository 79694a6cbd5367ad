"""FEEL's built-in numeric functions (`decimal`, `floor`, `round half up`, `modulo`, `sqrt`, ...),
with Camunda 8's `random number`.

Promise, as FEEL wants it: arguments that are no numbers (or null), a division by zero and a
result outside the numbers (the square root of -1) give null rather than raising.
"""
from __future__ import annotations

import math
import random
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_EVEN, \
    ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation
from typing import Any, Callable

from bpmn.expressions.feel_values import is_number, tidy, to_decimal, whole

# Rounding to thousands of digits would only burn time; FEEL decimals carry 34 digits.
_MAX_SCALE = 1000


def _rounding(mode: str) -> Callable[..., Any]:
    def round_number(number: Any, scale: Any = 0) -> Any:
        places = whole(scale)
        if not is_number(number) or places is None or abs(places) > _MAX_SCALE:
            return None
        try:
            result = to_decimal(number).quantize(Decimal(1).scaleb(-places), rounding=mode)
        except InvalidOperation:
            return None
        if isinstance(number, Decimal):
            return result
        return int(result) if result == result.to_integral_value() else float(result)
    return round_number


def _decimal(number: Any, scale: Any, mode: Any = "half_even") -> Any:
    rounding = _MODES.get(mode.lower()) if isinstance(mode, str) else None
    return None if rounding is None else _rounding(rounding)(number, scale)


_MODES = {"up": ROUND_UP, "down": ROUND_DOWN, "ceiling": ROUND_CEILING, "floor": ROUND_FLOOR,
          "half_up": ROUND_HALF_UP, "half_down": ROUND_HALF_DOWN, "half_even": ROUND_HALF_EVEN}


def _numeric(op: Callable[..., Any], *, valid: Callable[..., bool] = lambda *a: True) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        if not all(is_number(arg) for arg in args) or not valid(*args):
            return None
        return tidy(op(*[float(a) if isinstance(a, Decimal) else a for a in args]))
    return apply


def _parity(remainder: int) -> Callable[[Any], bool | None]:
    return lambda n: (int(n) % 2 == remainder) if whole(n) is not None else None


NUMERIC_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "decimal": (_decimal, 2, 3),
    "floor": (_rounding(ROUND_FLOOR), 1, 2),
    "ceiling": (_rounding(ROUND_CEILING), 1, 2),
    "round up": (_rounding(ROUND_UP), 1, 2),
    "round down": (_rounding(ROUND_DOWN), 1, 2),
    "round half up": (_rounding(ROUND_HALF_UP), 1, 2),
    "round half down": (_rounding(ROUND_HALF_DOWN), 1, 2),
    "abs": (_numeric(abs), 1, 1),
    "modulo": (_numeric(lambda a, b: a % b, valid=lambda a, b: b != 0), 2, 2),
    "sqrt": (_numeric(math.sqrt, valid=lambda n: n >= 0), 1, 1),
    "log": (_numeric(math.log, valid=lambda n: n > 0), 1, 1),
    "exp": (_numeric(math.exp), 1, 1),
    "odd": (_parity(1), 1, 1),
    "even": (_parity(0), 1, 1),
    "random number": (random.random, 0, 0),
}
