"""DMN 1.5's range functions (`before`, `after`, `meets`, `overlaps`, `includes`, `during`, ...)
over points (numbers, strings, dates, times, durations) and ranges such as `[1..10)`, and
`range(text)`, which reads a range literal from a string.

Each function is the formula of DMN 1.5, table 10.3.4.9, in FEEL's three-valued logic. Promise,
as FEEL wants it: arguments that are neither, the wrong mix of points and ranges and points
that cannot be compared give null rather than raising.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from bpmn.expressions import feel_temporal as temporal
from bpmn.expressions.feel_syntax import unescape
from bpmn.expressions.feel_values import Range, all_of, any_of, equal, kind, less, tidy


def _all(*results: Any) -> bool | None:
    return all_of(list(results))


def _any(*results: Any) -> bool | None:
    return any_of(list(results))


def _is_point(value: Any) -> bool:
    return not isinstance(value, Range) and less(value, value) is not None  # an ordered value


def _before(a: Any, b: Any) -> bool | None:
    if isinstance(a, Range) and isinstance(b, Range):
        return _any(less(a.end, b.start),
                    _all(_any(not a.end_included, not b.start_included), equal(a.end, b.start)))
    if isinstance(a, Range) and _is_point(b):
        return _any(less(a.end, b), _all(equal(a.end, b), not a.end_included))
    if isinstance(b, Range) and _is_point(a):
        return _any(less(a, b.start), _all(equal(a, b.start), not b.start_included))
    return less(a, b) if _is_point(a) else None


def _meets(a: Any, b: Any) -> bool | None:
    if not (isinstance(a, Range) and isinstance(b, Range)):
        return None
    return _all(a.end_included, b.start_included, equal(a.end, b.start))


def _overlaps(a: Any, b: Any) -> bool | None:
    if not (isinstance(a, Range) and isinstance(b, Range)):
        return None
    return _all(_any(less(b.start, a.end), _all(equal(a.end, b.start), a.end_included, b.start_included)),
                _any(less(a.start, b.end), _all(equal(a.start, b.end), a.start_included, b.end_included)))


def _overlaps_before(a: Any, b: Any) -> bool | None:
    if not (isinstance(a, Range) and isinstance(b, Range)):
        return None
    return _all(
        _any(less(a.start, b.start), _all(equal(a.start, b.start), a.start_included, not b.start_included)),
        _any(less(b.start, a.end), _all(equal(a.end, b.start), a.end_included, b.start_included)),
        _any(less(a.end, b.end), _all(equal(a.end, b.end), _any(not a.end_included, b.end_included))))


def _finishes(a: Any, b: Any) -> bool | None:
    """`a` (a point or a range) ends where range `b` ends."""
    if not isinstance(b, Range):
        return None
    if _is_point(a):
        return _all(b.end_included, equal(b.end, a))
    if not isinstance(a, Range):
        return None
    return _all(a.end_included == b.end_included, equal(a.end, b.end),
                _any(less(b.start, a.start),
                     _all(equal(a.start, b.start), _any(not a.start_included, b.start_included))))


def _includes(a: Any, b: Any) -> bool | None:
    """Range `a` holds `b` (a point or a range)."""
    if not isinstance(a, Range):
        return None
    if _is_point(b):
        return _any(_all(less(a.start, b), less(b, a.end)),
                    _all(equal(a.start, b), a.start_included), _all(equal(a.end, b), a.end_included))
    if not isinstance(b, Range):
        return None
    return _all(_any(less(a.start, b.start),
                     _all(equal(a.start, b.start), _any(a.start_included, not b.start_included))),
                _any(less(b.end, a.end), _all(equal(a.end, b.end), _any(a.end_included, not b.end_included))))


def _starts(a: Any, b: Any) -> bool | None:
    """`a` (a point or a range) starts where range `b` starts."""
    if not isinstance(b, Range):
        return None
    if _is_point(a):
        return _all(b.start_included, equal(b.start, a))
    if not isinstance(a, Range):
        return None
    return _all(equal(a.start, b.start), a.start_included == b.start_included,
                _any(less(a.end, b.end), _all(equal(a.end, b.end), _any(not a.end_included, b.end_included))))


def _coincides(a: Any, b: Any) -> bool | None:
    if _is_point(a) and _is_point(b):
        return equal(a, b)
    if not (isinstance(a, Range) and isinstance(b, Range)):
        return None
    return _all(equal(a.start, b.start), a.start_included == b.start_included,
                equal(a.end, b.end), a.end_included == b.end_included)


def _swapped(function: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda a, b: function(b, a)


# --- range(text) -------------------------------------------------------------------------------

_QUOTED = r'"(?:\\[\s\S]|[^"\\])*"'
_ENDPOINT = (rf'-?\d+(?:\.\d+)?|{_QUOTED}|@{_QUOTED}'
             rf'|(?:date\s+and\s+time|date|time|duration)\s*\(\s*{_QUOTED}\s*\)')
_RANGE_TEXT = re.compile(rf"\s*([\[(\]])\s*({_ENDPOINT})\s*\.\.\s*({_ENDPOINT})\s*([\])\[])\s*\Z")
_CALL = re.compile(rf"(date\s+and\s+time|date|time|duration)\s*\(\s*({_QUOTED})\s*\)\Z")
_PARSERS = {"date": temporal.parse_date, "time": temporal.parse_time,
            "date and time": temporal.parse_date_time, "duration": temporal.parse_duration}


def _endpoint(text: str) -> Any:
    """A literal endpoint: a number, a string, `@"..."` or `date("...")` and its kin."""
    if text.startswith('"'):
        return unescape(text[1:-1])
    if text.startswith("@"):
        return temporal.parse_any(unescape(text[2:-1]))
    call = _CALL.match(text)
    if call:
        return _PARSERS[" ".join(call[1].split())](unescape(call[2][1:-1]))
    return tidy(float(text)) if "." in text else int(text)


def _range(text: Any) -> Range | None:
    """DMN 1.5's `range("[18..21)")`: endpoints are literals, never names or calculations."""
    match = _RANGE_TEXT.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    start, end = _endpoint(match[2]), _endpoint(match[3])
    if start is None or end is None or kind(start) != kind(end):
        return None
    return Range(start, end, match[1] == "[", match[4] == "]")


RANGE_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "before": (_before, 2, 2),
    "after": (_swapped(_before), 2, 2),
    "meets": (_meets, 2, 2),
    "met by": (_swapped(_meets), 2, 2),
    "overlaps": (_overlaps, 2, 2),
    "overlaps before": (_overlaps_before, 2, 2),
    "overlaps after": (_swapped(_overlaps_before), 2, 2),
    "finishes": (_finishes, 2, 2),
    "finished by": (_swapped(_finishes), 2, 2),
    "includes": (_includes, 2, 2),
    "during": (_swapped(_includes), 2, 2),
    "starts": (_starts, 2, 2),
    "started by": (_swapped(_starts), 2, 2),
    "coincides": (_coincides, 2, 2),
    "range": (_range, 1, 1),
}
