"""Camunda 8's `from json` and `to json`: FEEL values to and from JSON text.

`to json` writes compact JSON (`{"a":1,"b":"foo"}`); dates, times, durations and ranges become
strings as `string()` prints them. `from json` reads any JSON value; strings stay strings (a
date in JSON is only text). Promise, as FEEL wants it: text that is no JSON, numbers JSON cannot
hold (NaN, infinity, 1e999), values nested too deeply, values that are no FEEL values and JSON
longer than MAX_TEXT give null rather than raising.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Callable

from bpmn.expressions.feel_text import to_text
from bpmn.expressions.feel_values import MAX_TEXT, is_list, is_number, kind, tidy

# Values `to json` writes as the text string() gives them.
_TEXT_KINDS = frozenset({"date", "time", "date and time", "days and time duration",
                         "years and months duration", "range"})


def _finite(text: str) -> Any:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is no FEEL number")
    return tidy(number)


def _refuse(text: str) -> Any:
    raise ValueError(f"{text} is no JSON value")


def _from_json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_refuse)
    except (ValueError, RecursionError):  # no JSON, a number too long, or nested too deeply
        return None


class _Writer:
    """Writes one value as JSON, refusing (ValueError) to write more than MAX_TEXT characters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def put(self, text: str) -> None:
        self.length += len(text)
        if self.length > MAX_TEXT:
            raise ValueError("the JSON would be too long")
        self.parts.append(text)

    def write(self, value: Any) -> None:
        if is_list(value):
            self._sequence("[", "]", [(None, item) for item in value])
        elif isinstance(value, Mapping):
            self._sequence("{", "}", [(key, item) for key, item in value.items() if not str(key).startswith("_")])
        else:
            self.put(_scalar(value))

    def _sequence(self, opening: str, closing: str, entries: list) -> None:
        self.put(opening)
        for position, (key, item) in enumerate(entries):
            if position:
                self.put(",")
            if key is not None:
                self.put(json.dumps(str(key), ensure_ascii=False) + ":")
            self.write(item)
        self.put(closing)


def _scalar(value: Any) -> str:
    if value is None or value is True or value is False or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if is_number(value):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("JSON has no infinity or NaN")
        return to_text(value)  # plain digits, no exponent: valid JSON
    if kind(value) in _TEXT_KINDS:
        return json.dumps(to_text(value), ensure_ascii=False)
    raise ValueError(f"a {type(value).__name__} is no FEEL value")


def _to_json(value: Any) -> str | None:
    writer = _Writer()
    try:
        writer.write(value)
    except (ValueError, RecursionError):
        return None
    return "".join(writer.parts)


JSON_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "from json": (_from_json, 1, 1),
    "to json": (_to_json, 1, 1),
}
