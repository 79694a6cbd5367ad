"""jsonschema's validation errors -> FieldErrors a person can act on ("Amount must be at least 1")."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from jsonschema.exceptions import ValidationError

from forms.model import FieldError
from forms.paths import json_pointer, ui_key

TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
              "array": "a list", "object": "a group of fields", "null": "empty"}
FORMAT_NAMES = {"email": "an email address", "date": "a date (YYYY-MM-DD)",
                "date-time": "a date and time (YYYY-MM-DDTHH:MM)", "time": "a time (HH:MM)"}


def field_errors(error: ValidationError, ui_fields: dict) -> list[FieldError]:
    """The field errors one jsonschema error stands for (a `required` error names each missing field)."""
    parts = list(error.absolute_path)
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [FieldError(json_pointer([*parts, name]), f"{_label([*parts, name], ui_fields)} is required")
                for name in error.validator_value if name not in present]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        return [FieldError(json_pointer([*parts, name]), f"{name} is not a field of this form")
                for name in error.instance if name not in known]
    describe = DESCRIPTIONS.get(error.validator)
    text = describe(error, _ui(parts, ui_fields)) if describe else None
    return [FieldError(json_pointer(parts), f"{_label(parts, ui_fields)} {text or _fallback(error)}")]


def _ui(parts: list, ui_fields: dict) -> dict:
    """The UI hints of a data location; an entry of a checklist or taglist has its list's hints."""
    while parts and isinstance(parts[-1], int) and ui_key(parts) not in ui_fields:
        parts = parts[:-1]
    return ui_fields.get(ui_key(parts), {})


def _label(parts: list, ui_fields: dict) -> str:
    """The field's label, unless it is a FEEL template; else its key; "The form" for the whole."""
    label = _ui(parts, ui_fields).get("label")
    if isinstance(label, str) and label.strip() and not label.startswith("=") and "{{" not in label:
        return label.strip()
    names = [str(part) for part in parts if not isinstance(part, int)]
    return names[-1] if names else "The form"


def _fallback(error: ValidationError) -> str:
    return f"is not valid: {error.message}"


def _number(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f") if isinstance(value, float) else str(value)


def _type(error: ValidationError, ui: dict) -> str:
    if error.instance is None:
        return "must have a value"
    kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    return "must be " + " or ".join(TYPE_NAMES.get(kind, kind) for kind in kinds)


def _enum(error: ValidationError, ui: dict) -> str:
    labels = {str(option.get("value")): option.get("label") for option in ui.get("options") or []}
    choices = [str(labels.get(str(value)) or value) for value in error.validator_value]
    return "must be one of: " + ", ".join(choices)


def _one_of(error: ValidationError, ui: dict) -> str | None:
    """A choice given as `oneOf` consts reads like an enum; other shapes keep jsonschema's words."""
    if not ui.get("options"):
        return None
    return "must be one of: " + ", ".join(str(option.get("label")) for option in ui["options"])


def _const(error: ValidationError, ui: dict) -> str:
    if error.validator_value is True and ui.get("widget") == "checkbox":
        return "must be ticked"
    return f"must be {error.validator_value!r}"


def _format(error: ValidationError, ui: dict) -> str:
    if error.validator_value == "phone":
        return f"must be {ui.get('pattern_hint') or 'a phone number'}"
    return "must be " + FORMAT_NAMES.get(error.validator_value, f"in the format {error.validator_value}")


def _pattern(error: ValidationError, ui: dict) -> str:
    return f"must match the pattern {ui.get('pattern_hint') or error.validator_value}"


def _multiple_of(error: ValidationError, ui: dict) -> str:
    step = Decimal(str(error.validator_value)).normalize()
    if step.as_tuple().digits == (1,) and step.as_tuple().exponent < 0:
        places = -step.as_tuple().exponent
        return f"must have at most {places} decimal digit{'s' if places > 1 else ''}"
    return f"must be a multiple of {_number(error.validator_value)}"


def _bound(text: str) -> Callable[[ValidationError, dict], str]:
    return lambda error, ui: text.format(_number(error.validator_value))


def _length(text: str) -> Callable[[ValidationError, dict], str]:
    def describe(error: ValidationError, ui: dict) -> str:
        if error.validator in ("minLength", "minItems") and error.instance in ("", []):
            return "is required"
        count = error.validator_value
        return text.format(count, "" if count == 1 else "s")
    return describe


DESCRIPTIONS: dict[str, Callable[[ValidationError, dict], str | None]] = {
    "type": _type, "enum": _enum, "const": _const, "format": _format, "pattern": _pattern,
    "multipleOf": _multiple_of, "oneOf": _one_of, "anyOf": _one_of,
    "minimum": _bound("must be at least {}"), "maximum": _bound("must be at most {}"),
    "exclusiveMinimum": _bound("must be more than {}"), "exclusiveMaximum": _bound("must be less than {}"),
    "minLength": _length("must be at least {} character{} long"),
    "maxLength": _length("must be at most {} character{} long"),
    "minItems": _length("must have at least {} item{}"), "maxItems": _length("must have at most {} item{}"),
    "uniqueItems": lambda error, ui: "must not list the same value twice",
}
