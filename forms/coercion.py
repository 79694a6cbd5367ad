"""Submitted values -> the types the form says: "12" -> 12, "on" -> True, dates -> ISO 8601 text.

Coercion only converts what clearly is the same value in another dress; anything it cannot read is
left as it came, for validation to report. Keys the schema does not know are kept as they are
(they are process variables). An empty value ("" or None) that the field would not accept counts
as no value and is dropped, so "required" reports it the way form-js does.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from forms.paths import resolve, ui_key

Accepts = Callable[[dict, Any], bool]
TRUE_TEXTS = frozenset({"true", "on", "yes", "1", "checked"})
FALSE_TEXTS = frozenset({"false", "off", "no", "0"})
_FAILED = object()
_JAVA_DATE_TOKENS = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "M": "%m", "dd": "%d", "d": "%d", "HH": "%H",
                     "H": "%H", "hh": "%I", "h": "%I", "mm": "%M", "ss": "%S", "a": "%p"}
_JAVA_DATE_TOKEN = re.compile("|".join(sorted(_JAVA_DATE_TOKENS, key=len, reverse=True)))


def coerce_data(schema: dict, data: dict, ui_fields: dict, accepts: Accepts) -> dict:
    """A copy of `data` with every value the schema knows converted to its type."""
    return _Walk(schema, ui_fields, accepts).value(schema, data, [])


class _Walk:
    def __init__(self, root: dict, ui_fields: dict, accepts: Accepts):
        self.root, self.ui_fields, self.accepts = root, ui_fields, accepts

    def value(self, node: Any, value: Any, parts: list) -> Any:
        node = self.resolve(node)
        if isinstance(value, dict) and isinstance(node.get("properties"), dict):
            return self.object(node, value, parts)
        if "array" in _types(node) and isinstance(node.get("items"), dict):
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, (str, int, float)) and _types(node) == ["array"] and value != "":
                value = [value]  # one choice sent as a plain value
            if isinstance(value, list):
                return [self.value(node["items"], item, [*parts, i]) for i, item in enumerate(value)]
        pattern = self.ui_fields.get(ui_key(parts), {}).get("date_pattern")
        return coerce_value(node, value, pattern)

    def object(self, node: dict, value: dict, parts: list) -> dict:
        result = dict(value)
        for name, sub in node["properties"].items():
            if name not in result:
                continue
            converted = self.value(sub, result[name], [*parts, name])
            if converted in ("", None) and not self.accepts(sub, converted):
                del result[name]
            else:
                result[name] = converted
        return result

    def resolve(self, node: Any) -> dict:
        return resolve(self.root, node)


def coerce_value(node: dict, value: Any, date_pattern: str | None = None) -> Any:
    """One value converted to the type of its schema `node`, or unchanged when it cannot be."""
    types = _types(node)
    if "string" in types and node.get("format") in NORMALISERS and value not in ("", None):
        normalised = NORMALISERS[node["format"]](value, date_pattern)
        if normalised is not _FAILED:
            return normalised
    options = node["enum"] if isinstance(node.get("enum"), list) else [node["const"]] if "const" in node else None
    if options is not None and not any(_same(value, option) for option in options):
        for option in options:
            if isinstance(value, (str, int, float)) and _text(option) == _text(value):
                return option
    if not types or any(_is_type(value, t) for t in types):
        return value
    for kind in types:
        converted = CONVERTERS.get(kind, lambda v: _FAILED)(value)
        if converted is not _FAILED:
            return converted
    return value


def to_number(value: Any) -> int | float | None:
    """An int for whole numbers, a float otherwise; None for anything that is not a finite number."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _types(node: dict) -> list[str]:
    kind = node.get("type")
    if isinstance(kind, str):
        return [kind]
    return list(kind) if isinstance(kind, list) else []


def _is_type(value: Any, kind: str) -> bool:
    checks = {"string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
              "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
              "null": lambda v: v is None}
    return checks.get(kind, lambda v: False)(value)


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value).strip()


def _to_integer(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    # "12.5" becomes 12.5, so the error says "whole number" rather than "number".
    return _to_number(value)


def _to_number(value: Any) -> Any:
    if isinstance(value, str):
        number = to_number(value.strip()) if value.strip() else None
        return _FAILED if number is None else number
    return _FAILED


def _to_boolean(value: Any) -> Any:
    text = _text(value).lower() if isinstance(value, (str, int)) else None
    if text in TRUE_TEXTS:
        return True
    return False if text in FALSE_TEXTS else _FAILED


def _to_string(value: Any) -> Any:
    # A number typed into a text field arrives as a number from JSON clients; the form says text.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _FAILED


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "integer": _to_integer, "number": _to_number, "boolean": _to_boolean, "string": _to_string,
}


def _java_pattern(value: str, pattern: str | None) -> datetime | None:
    if not pattern:
        return None
    try:
        return datetime.strptime(value.strip(), _JAVA_DATE_TOKEN.sub(lambda m: _JAVA_DATE_TOKENS[m.group()], pattern))
    except ValueError:
        return None


def _date(value: Any, pattern: str | None) -> Any:
    if isinstance(value, datetime):
        value = value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return _FAILED
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        moment = _java_pattern(value, pattern)
    # A date-time is read as a date only at midnight: a browser's local midnight sent as UTC
    # ("2024-01-14T22:00:00Z") would otherwise silently become the wrong day.
    if moment is None or moment.timetz().replace(tzinfo=None) != time(0):
        return _FAILED
    return moment.date().isoformat()


def _date_time(value: Any, pattern: str | None) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time(0)).isoformat()
    if not isinstance(value, str):
        return _FAILED
    try:
        return datetime.fromisoformat(value.strip()).isoformat()
    except ValueError:
        moment = _java_pattern(value, pattern)
        return moment.isoformat() if moment else _FAILED


def _time(value: Any, pattern: str | None) -> Any:
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value.strip())
        except ValueError:
            return _FAILED
    if not isinstance(value, time):
        return _FAILED
    # form-js writes "14:30"; keep minutes when there are no seconds so the browser reads it back.
    return value.isoformat(timespec="minutes" if not (value.second or value.microsecond) else "auto")


NORMALISERS: dict[str, Callable[[Any, str | None], Any]] = {"date": _date, "date-time": _date_time, "time": _time}
