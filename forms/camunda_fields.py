"""Camunda Forms value components (textfield, number, select, ...) -> a JSON Schema property and UI hints.

Each builder takes the component, whether it is required, and `note(message)` to report what it
cannot honour; it returns (schema property, UI hints). The form walk in `forms.camunda_forms`
adds what every field shares (label, help, readonly, default, visibility).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Callable

from forms.coercion import to_number

Note = Callable[[str], None]

PHONE_HINT = "an international number such as +4930664040900"
DATETIME_FORMATS = {"date": ("date", "date"), "time": ("time", "time"), "datetime": ("date-time", "datetime")}


def _validate(component: dict) -> dict:
    return component.get("validate") or {}


def _constant(component: dict, key: str, note: Note) -> int | float | None:
    """A numeric `validate` setting; FEEL (`=...`) or junk is reported and left to the browser."""
    value = _validate(component).get(key)
    if value is None or value == "" or isinstance(value, bool):
        return None
    number = to_number(value)
    if number is None:
        note(f"validation {key}={value!r} is not a number Fuse can check; only the browser checks it")
    return number


def _text(component: dict, required: bool, note: Note) -> tuple[dict, dict]:
    prop: dict = {"type": "string"}
    ui: dict = {}
    min_length = _constant(component, "minLength", note)
    # form-js treats "" as "no value", so a required text needs at least one character.
    min_length = max(int(min_length or 0), 1 if required else 0)
    if min_length:
        prop["minLength"] = min_length
    max_length = _constant(component, "maxLength", note)
    if max_length is not None:
        prop["maxLength"] = int(max_length)
    pattern = _validate(component).get("pattern")
    if pattern:
        try:
            re.compile(pattern)
            prop["pattern"] = ui["pattern_hint"] = pattern
        except re.error:
            note(f"pattern {pattern!r} is not a regular expression Fuse can check; only the browser checks it")
    kind = _validate(component).get("validationType")
    if kind == "email":
        prop["format"], ui["widget"] = "email", "email"
    elif kind == "phone":
        prop["format"], ui["widget"], ui["pattern_hint"] = "phone", "phone", PHONE_HINT
    return prop, ui


def _number(component: dict, required: bool, note: Note) -> tuple[dict, dict]:
    digits = component.get("decimalDigits")
    digits = digits if isinstance(digits, int) and not isinstance(digits, bool) and digits >= 0 else None
    prop: dict = {"type": "integer" if digits == 0 else "number"}
    ui: dict = {}
    for key, keyword in (("min", "minimum"), ("max", "maximum")):
        bound = _constant(component, key, note)
        if bound is not None:
            prop[keyword] = bound
    steps = []
    if digits:
        steps.append(to_number(Decimal(1).scaleb(-digits)))
        ui["decimal_digits"] = digits
    increment = to_number(component.get("increment")) if component.get("increment") not in (None, "") else None
    if increment is not None and increment > 0:
        steps.append(increment)
        ui["step"] = increment
    elif component.get("increment") not in (None, ""):
        note(f"increment {component.get('increment')!r} is not a positive number; it is ignored")
    # Two steps (digits and increment) cannot share one `multipleOf`, so the second goes in allOf.
    if steps:
        prop["multipleOf"] = steps[0]
    if len(steps) > 1:
        prop["allOf"] = [{"multipleOf": steps[1]}]
    if component.get("serializeToString"):
        ui["serialize_to_string"] = True
    return prop, ui


def _checkbox(component: dict, required: bool, note: Note) -> tuple[dict, dict]:
    # form-js counts an unticked required checkbox as missing: it must be ticked.
    return ({"type": "boolean", "const": True} if required else {"type": "boolean"}), {}


def _value_type(values: list) -> str | None:
    """The JSON type all option values share, or None when they are mixed."""
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if any(isinstance(v, bool) for v in values):
        return None
    if all(isinstance(v, int) for v in values):
        return "integer"
    if all(isinstance(v, (int, float)) for v in values):
        return "number"
    if all(isinstance(v, str) for v in values):
        return "string"
    return None


def _options(component: dict, note: Note) -> tuple[dict, dict]:
    """The enum for static options and the UI hints for options however they are given."""
    if component.get("valuesKey"):
        return {}, {"options_from": component["valuesKey"]}
    if component.get("valuesExpression"):
        return {}, {"options_expression": component["valuesExpression"]}
    values = [v for v in component.get("values") or [] if isinstance(v, dict) and "value" in v]
    if not values:
        note("has no options; any value is accepted")
        return {}, {"options": []}
    options = [{"value": v["value"], "label": v.get("label", str(v["value"]))} for v in values]
    enum = [option["value"] for option in options]
    schema = {"enum": enum}
    if value_type := _value_type(enum):
        schema["type"] = value_type
    return schema, {"options": options}


def _choice(component: dict, required: bool, note: Note) -> tuple[dict, dict]:
    prop, ui = _options(component, note)
    if required and "enum" not in prop:
        # Options come at run time; at least refuse the empty text a cleared select sends.
        prop["minLength"] = 1
    if component.get("searchable"):
        ui["searchable"] = True
    return prop, ui


def _choices(component: dict, required: bool, note: Note) -> tuple[dict, dict]:
    item, ui = _options(component, note)
    prop = {"type": "array", "items": item, "uniqueItems": True}
    if required:
        prop["minItems"] = 1
    return prop, ui


def _datetime(component: dict, required: bool, note: Note) -> tuple[dict, dict]:
    subtype = component.get("subtype") or "date"
    if subtype not in DATETIME_FORMATS:
        note(f"subtype {subtype!r} is unknown; it is read as a date")
        subtype = "date"
    fmt, widget = DATETIME_FORMATS[subtype]
    ui = {"widget": widget}
    hints = {"use24h": "use24h", "timeInterval": "time_interval", "timeSerializingFormat": "time_format",
             "disallowPassedDates": "disallow_past_dates", "dateLabel": "date_label", "timeLabel": "time_label"}
    ui.update({name: component[key] for key, name in hints.items() if component.get(key) is not None})
    return {"type": "string", "format": fmt}, ui


# component type -> (builder, default widget)
FIELD_BUILDERS: dict[str, tuple[Callable[[dict, bool, Note], tuple[dict, dict]], str]] = {
    "textfield": (_text, "text"),
    "textarea": (_text, "textarea"),
    "number": (_number, "number"),
    "checkbox": (_checkbox, "checkbox"),
    "checklist": (_choices, "checklist"),
    "taglist": (_choices, "taglist"),
    "radio": (_choice, "radio"),
    "select": (_choice, "select"),
    "datetime": (_datetime, "datetime"),
}
