"""FEEL's built-in functions: string, numeric and boolean ones here, conversion and temporal
ones in feel_conversions, list and context ones in feel_collections; `FUNCTIONS` holds them
all by FEEL name.

Promise, as FEEL wants it: a function given arguments of the wrong type (or null) returns
null rather than raising; callers check the argument count (`Builtin.accepts`) beforehand.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_EVEN, \
    ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation
from typing import Any, Callable, NamedTuple

from bpmn.expressions.feel_collections import COLLECTION_FUNCTIONS
from bpmn.expressions.feel_conversions import CONVERSION_FUNCTIONS
from bpmn.expressions.feel_values import is_number, tidy, to_decimal, whole

_REGEX_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}
_GROUP_REFERENCE = re.compile(r"\\(.)|\$(\d+)")
# Rounding to thousands of digits would only burn time; FEEL decimals carry 34 digits.
_MAX_SCALE = 1000


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


def _strings(*values: Any) -> bool:
    return all(isinstance(value, str) for value in values)


# --- strings -----------------------------------------------------------------------------------

def _substring(text: Any, start: Any, length: Any = None) -> str | None:
    """1-based `start` (negative counts from the end), optional `length`."""
    start, count = whole(start), None if length is None else whole(length)
    if not isinstance(text, str) or not start or (length is not None and (count is None or count < 0)):
        return None
    begin = start - 1 if start > 0 else max(len(text) + start, 0)
    return text[begin:] if count is None else text[begin:begin + count]


def _regex(pattern: Any, flags: Any = None) -> re.Pattern | None:
    if not _strings(pattern) or (flags is not None and not _strings(flags)):
        return None
    try:
        bits = 0
        for flag in flags or "":
            bits |= _REGEX_FLAGS[flag]
        return re.compile(pattern, bits)
    except (re.error, KeyError):  # a bad pattern or flag is a type error in FEEL: null
        return None


def _matches(text: Any, pattern: Any, flags: Any = None) -> bool | None:
    regex = _regex(pattern, flags)
    return None if regex is None or not _strings(text) else regex.search(text) is not None


def _replace(text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str | None:
    """XPath fn:replace: `$1` in the replacement is group 1, `\\$` a literal dollar."""
    regex = _regex(pattern, flags)
    if regex is None or not _strings(text, replacement):
        return None

    def expand(match: re.Match) -> str:
        def reference(ref: re.Match) -> str:
            if ref[1] is not None:
                return ref[1]
            group = int(ref[2])
            return (match[group] or "") if group <= regex.groups else ""
        return _GROUP_REFERENCE.sub(reference, replacement)
    return regex.sub(expand, text)


def _split(text: Any, delimiter: Any) -> list[str] | None:
    regex = _regex(delimiter)
    if regex is None or not _strings(text):
        return None
    # Slicing at each match, not re.split, so that groups in the delimiter add no elements.
    parts, start = [], 0
    for match in regex.finditer(text):
        if match.end() == match.start():  # an empty match splits nothing (XPath refuses it)
            continue
        parts.append(text[start:match.start()])
        start = match.end()
    parts.append(text[start:])
    return parts


def _extract(text: Any, pattern: Any) -> list[str] | None:
    regex = _regex(pattern)
    return None if regex is None or not _strings(text) else [m[0] for m in regex.finditer(text)]


def _string_op(op: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *args: op(*args) if _strings(*args) else None


def _before(text: str, match: str) -> str:
    return text.split(match, 1)[0] if match in text else ""


def _after(text: str, match: str) -> str:
    return text.split(match, 1)[1] if match in text else ""


# --- numbers -----------------------------------------------------------------------------------

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


_TABLE: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    # strings
    "string length": (_string_op(len), 1, 1),
    "substring": (_substring, 2, 3),
    "substring before": (_string_op(_before), 2, 2),
    "substring after": (_string_op(_after), 2, 2),
    "upper case": (_string_op(str.upper), 1, 1),
    "lower case": (_string_op(str.lower), 1, 1),
    "trim": (_string_op(str.strip), 1, 1),
    "contains": (_string_op(lambda s, t: t in s), 2, 2),
    "starts with": (_string_op(str.startswith), 2, 2),
    "ends with": (_string_op(str.endswith), 2, 2),
    "matches": (_matches, 2, 3),
    "replace": (_replace, 3, 4),
    "split": (_split, 2, 2),
    "extract": (_extract, 2, 2),
    # numbers
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
    # boolean
    "not": (lambda value: (not value) if value is True or value is False else None, 1, 1),
}

FUNCTIONS: dict[str, Builtin] = {
    name: Builtin(*entry)
    for name, entry in {**_TABLE, **CONVERSION_FUNCTIONS, **COLLECTION_FUNCTIONS}.items()}
