"""How FEEL prints values: the text `string(x)` gives, as Camunda's FEEL engine writes it.

Numbers print without exponent or trailing zeros ("1.5", "3", "0.0000001"), strings inside
lists and contexts are quoted, temporal values are ISO 8601 ("2020-04-06T08:00:00Z",
"P1DT2H", "08:00:00@Europe/Berlin" for a named zone). Nothing here raises for FEEL values.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from bpmn.expressions import feel_temporal as temporal
from bpmn.expressions.feel_values import Range, is_list, is_number, to_decimal


def to_text(value: Any) -> str | None:
    """FEEL's `string(x)`: the value as FEEL would print it; null stays null."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    return _render(value)


def _render(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is True or value is False:
        return "true" if value else "false"
    if is_number(value):
        return _number_text(value)
    if is_list(value):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {_render(item)}" for key, item in value.items()) + "}"
    if isinstance(value, Range):
        return (("[" if value.start_included else "(") + f"{_render(value.start)}..{_render(value.end)}"
                + ("]" if value.end_included else ")"))
    text = _temporal_text(value)
    return text if text is not None else f"<{type(value).__name__}>"


def _number_text(number: Any) -> str:
    if isinstance(number, int):
        return str(number)
    if isinstance(number, float):
        if number.is_integer() and abs(number) < 2 ** 53:
            return str(int(number))
        number = to_decimal(number)
    # 'f' keeps 1E+3 and 1E-7 out of the text: people read and parse plain digits.
    text = format(number.normalize() if number == number.to_integral_value() else number, "f")
    return text


def _temporal_text(value: Any) -> str | None:
    """ISO 8601 text as FEEL prints it ('@Zone/Id' for a named zone); None for non-temporals."""
    if isinstance(value, (dt.datetime, dt.time)):
        zone = value.tzinfo
        if isinstance(zone, ZoneInfo):
            return value.replace(tzinfo=None).isoformat() + "@" + zone.key
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, temporal.YearsMonths):
        return str(value)
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    return None


def _duration_text(value: dt.timedelta) -> str:
    sign, days, hours, minutes, seconds = temporal.duration_parts(value)
    fraction = abs(value).microseconds
    second_text = f"{seconds}.{fraction:06d}".rstrip("0") if fraction else str(seconds)
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") \
        + (f"{second_text}S" if seconds or fraction else "")
    text = (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
    return ("-" if sign < 0 else "") + "P" + (text or "T0S")
