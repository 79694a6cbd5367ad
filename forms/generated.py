"""Camunda 7 generated task forms (`camunda:formData` / `camunda:formField`) -> FormModel.

Fields come as SpiffWorkflow's camunda serializer writes them: {"id", "label", "type",
"default_value", "properties": [{"id", "value"}], "validation": [{"name", "config"}],
"options": [{"id", "name"}]}. Field ids are variable names and are kept whole (no nesting).
"""
from __future__ import annotations

import re
from typing import Callable

from forms.coercion import coerce_value, to_number
from forms.model import FormModel, empty_schema
from forms.validation import FORMATS, FormValidator

DEFAULT_DATE_PATTERN = "dd/MM/yyyy"
# Java date pattern letters that carry a time of day: such a "date" field holds a date-time.
_TIME_LETTERS = re.compile(r"[HhKkmsSa]")


def _string(field: dict) -> tuple[dict, dict]:
    return {"type": "string"}, {"widget": "text"}


def _long(field: dict) -> tuple[dict, dict]:
    return {"type": "integer"}, {"widget": "number"}


def _boolean(field: dict) -> tuple[dict, dict]:
    return {"type": "boolean"}, {"widget": "checkbox"}


def _date(field: dict) -> tuple[dict, dict]:
    pattern = _property(field, "datePattern") or DEFAULT_DATE_PATTERN
    with_time = bool(_TIME_LETTERS.search(re.sub(r"'[^']*'", "", pattern)))
    prop = {"type": "string", "format": "date-time" if with_time else "date"}
    return prop, {"widget": "datetime" if with_time else "date", "date_pattern": pattern, "pattern_hint": pattern}


def _enum(field: dict) -> tuple[dict, dict]:
    options = [{"value": o.get("id"), "label": o.get("name") or o.get("id")} for o in field.get("options") or []]
    return {"type": "string", "enum": [o["value"] for o in options]}, {"widget": "select", "options": options}


TYPES: dict[str, Callable[[dict], tuple[dict, dict]]] = {
    "string": _string, "long": _long, "boolean": _boolean, "date": _date, "enum": _enum,
}
# validation name -> (schema keyword, types it applies to)
CONSTRAINTS = {
    "minlength": ("minLength", {"string"}), "maxlength": ("maxLength", {"string"}),
    "min": ("minimum", {"integer", "number"}), "max": ("maximum", {"integer", "number"}),
}


def from_form_fields(fields: list[dict], name: str) -> FormModel:
    """The form model of a Camunda 7 generated form; warnings name fields Fuse cannot fully check."""
    schema, ui_fields, defaults, warnings = empty_schema(), {}, {}, []
    for field in fields:
        ident = str(field.get("id") or "")
        if not ident:
            warnings.append(f"form {name}: a form field has no id; it is left out")
            continue

        def warn(message: str, ident: str = ident) -> None:
            warnings.append(f"form {name}: field '{ident}' {message}")

        prop, ui = _field(field, warn)
        if prop.get("type") == "string" and "enum" not in prop and _required(field):
            prop["minLength"] = max(prop.get("minLength", 0), 1)  # an empty text is no value
        default = _default(field, prop, ui, warn)
        if default is not None:
            prop["default"] = defaults[ident] = default
        schema["properties"][ident] = prop
        if _required(field):
            schema.setdefault("required", []).append(ident)
        ui_fields[ident] = ui
    return FormModel(schema, {"order": list(ui_fields), "fields": ui_fields}, defaults, warnings)


def _field(field: dict, warn: Callable[[str], None]) -> tuple[dict, dict]:
    kind = field.get("type") or "string"
    if kind in TYPES:
        prop, ui = TYPES[kind](field)
    else:
        warn(f"has the custom type '{kind}'; its values are not checked")
        prop, ui = {}, {"widget": "text"}
    label = field.get("label") or field["id"]
    prop["title"] = label
    ui.update(label=label, readonly=_has(field, "readonly"), required=_required(field))
    for check in field.get("validation") or []:
        _constrain(prop, ui, check, warn)
    others = {p.get("id"): p.get("value") for p in field.get("properties") or [] if p.get("id") != "datePattern"}
    if others:
        ui["properties"] = others
    return prop, ui


def _constrain(prop: dict, ui: dict, check: dict, warn: Callable[[str], None]) -> None:
    check_name, config = check.get("name"), check.get("config")
    if check_name == "required":
        return
    if check_name == "readonly":
        prop["readOnly"] = True
        return
    if check_name not in CONSTRAINTS:
        warn(f"has the validator '{check_name}', which Fuse cannot run; it is not checked")
        return
    keyword, types = CONSTRAINTS[check_name]
    bound = to_number(config)
    if prop.get("type") not in types or bound is None:
        warn(f"has the validator {check_name}={config!r}, which does not fit a {prop.get('type', 'custom')} field")
        return
    prop[keyword] = int(bound) if keyword.endswith("Length") else bound


def _default(field: dict, prop: dict, ui: dict, warn: Callable[[str], None]):
    """The typed default value; an expression default is evaluated by the engine, not here."""
    text = field.get("default_value")
    if text is None or text == "":
        return None
    if isinstance(text, str) and re.search(r"[$#]\{", text):
        ui["default_expression"] = text
        return None
    value = coerce_value(prop, text, ui.get("date_pattern"))
    if not FormValidator(prop, format_checker=FORMATS).is_valid(value):
        warn(f"has the default {text!r}, which the field itself would refuse; it is ignored")
        return None
    return value


def _property(field: dict, property_id: str) -> str | None:
    return next((p.get("value") for p in field.get("properties") or [] if p.get("id") == property_id), None)


def _has(field: dict, check_name: str) -> bool:
    return any(check.get("name") == check_name for check in field.get("validation") or [])


def _required(field: dict) -> bool:
    return _has(field, "required")
