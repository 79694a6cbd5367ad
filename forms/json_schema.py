"""Fuse's own forms: NAME.schema.json (JSON Schema 2020-12) plus an optional NAME.uischema.json -> FormModel.

The schema is used as written; UI hints are derived from it (title, description, readOnly, enum,
format, default) and then refined by the ui document, which may be react-jsonschema-form style
("ui:order", "ui:widget", "ui:help", "ui:placeholder", ... nested per property, "items" for list
items) or Fuse's own {"order": [...], "fields": {path: {...}}}.
"""
from __future__ import annotations

import copy
from typing import Any

from jsonschema.exceptions import SchemaError

from forms.model import SCHEMA_DIALECT, FormError, FormModel
from forms.paths import place_value, resolve
from forms.validation import FormValidator

FORMAT_WIDGETS = {"date": "date", "date-time": "datetime", "time": "time", "email": "email", "phone": "phone"}
TYPE_WIDGETS = {"boolean": "checkbox", "integer": "number", "number": "number", "string": "text"}
RJSF_WIDGETS = {"textarea": "textarea", "radio": "radio", "select": "select", "checkboxes": "checklist",
                "checkbox": "checkbox", "updown": "number", "range": "number", "date": "date", "alt-date": "date",
                "datetime": "datetime", "alt-datetime": "datetime", "time": "time", "email": "email",
                "text": "text", "password": "text", "color": "text", "uri": "text", "hidden": "text"}
FUSE_WIDGETS = frozenset({"number", "checklist", "taglist", "phone", "html", "text-display", "separator", "spacer",
                          "group", "dynamiclist"}) | frozenset(RJSF_WIDGETS.values())
RJSF_HINTS = {"ui:help": "description", "ui:description": "description", "ui:title": "label",
              "ui:placeholder": "placeholder", "ui:readonly": "readonly", "ui:disabled": "readonly"}


def from_json_schema(schema: dict, ui_schema: dict | None = None, name: str = "form") -> FormModel:
    """The form model of a JSON Schema form and its optional ui document."""
    if not isinstance(schema, dict):
        raise FormError(f"form {name}: a JSON Schema form must be a JSON object")
    try:
        FormValidator.check_schema(schema)
    except SchemaError as err:
        raise FormError(f"form {name}: the schema is not valid JSON Schema: {err.message}") from None
    if schema.get("type", "object") != "object":
        raise FormError(f"form {name}: the schema must describe an object (type 'object'), not {schema['type']!r}")
    schema = copy.deepcopy(schema)
    schema.setdefault("type", "object")
    warnings = []
    if schema.get("$schema") not in (None, SCHEMA_DIALECT):
        warnings.append(f"form {name}: declares {schema['$schema']}; Fuse validates it as draft 2020-12")
    derived = _Derivation(schema, name, warnings)
    order = derived.members(schema, [], "", ui_schema if isinstance(ui_schema, dict) else {})
    ui = {"order": order, "fields": derived.fields}
    if isinstance(ui_schema, dict) and ("fields" in ui_schema or "order" in ui_schema):
        _merge_fuse_ui(ui, ui_schema)
    return FormModel(schema, ui, derived.defaults, warnings)


class _Derivation:
    """UI fields and defaults read off a schema, with a react-jsonschema-form ui document laid over."""

    def __init__(self, root: dict, name: str, warnings: list[str]):
        self.root, self.name, self.warnings = root, name, warnings
        self.fields: dict[str, dict] = {}
        self.defaults: dict = {}

    def members(self, node: dict, parts: list[str], prefix: str, hints: dict, in_list: bool = False) -> list[str]:
        """UI keys of an object's properties in display order (ui:order, else schema order)."""
        node = self.resolve(node)
        properties = node.get("properties") or {}
        required = set(node.get("required") or [])
        keys = []
        for prop_name in _ordered(list(properties), hints.get("ui:order")):
            sub_hints = hints.get(prop_name) if isinstance(hints.get(prop_name), dict) else {}
            path = [*parts, prop_name]
            key = f"{prefix}.{'.'.join(path)}" if prefix else ".".join(path)
            self.field(properties[prop_name], path, key, prop_name in required, sub_hints, in_list)
            keys.append(key)
        return keys

    def field(self, node: Any, parts: list[str], key: str, required: bool, hints: dict, in_list: bool) -> None:
        node = self.resolve(node)
        ui = {"label": node.get("title") or parts[-1], "widget": _widget(self, node),
              "readonly": bool(node.get("readOnly")), "required": required}
        if node.get("description"):
            ui["description"] = node["description"]
        if options := _options(self.resolve(node.get("items")) if ui["widget"] == "checklist" else node):
            ui["options"] = options
        if "default" in node and not in_list:
            place_value(self.defaults, parts, node["default"])
        self.fields[key] = ui
        self.apply_hints(key, hints)
        if ui["widget"] == "group" and in_list:
            ui["children"] = self.members(node, [], key, hints, True)
        elif ui["widget"] == "group":
            ui["children"] = self.members(node, parts, "", hints)
        elif ui["widget"] == "dynamiclist":
            item_hints = hints.get("items") if isinstance(hints.get("items"), dict) else {}
            ui["children"] = self.members(node["items"], [], f"{key}[]", item_hints, True)

    def apply_hints(self, key: str, hints: dict) -> None:
        ui = self.fields[key]
        merged = {**{f"ui:{k}": v for k, v in (hints.get("ui:options") or {}).items()}, **hints}
        for hint, name in RJSF_HINTS.items():
            if hint in merged:
                ui[name] = bool(merged[hint]) if name == "readonly" else merged[hint]
        if merged.get("ui:hidden") or merged.get("ui:widget") == "hidden":
            ui["hidden"] = True
        widget = merged.get("ui:widget")
        if isinstance(widget, str) and widget not in ("hidden", ui["widget"]):
            if widget in RJSF_WIDGETS or widget in FUSE_WIDGETS:
                ui["widget"] = RJSF_WIDGETS.get(widget, widget)
            else:
                self.warnings.append(f"form {self.name}: field '{key}' asks for the widget '{widget}', which "
                                     f"Fuse does not have; it is shown as {ui['widget']}")
        rest = {k: v for k, v in (hints.get("ui:options") or {}).items()
                if f"ui:{k}" not in RJSF_HINTS and k not in ("widget", "hidden")}
        if rest:
            ui["widget_options"] = rest

    def resolve(self, node: Any) -> dict:
        return resolve(self.root, node)


def _widget(derivation: _Derivation, node: dict) -> str:
    types = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
    kind = next((t for t in types if t and t != "null"), None)
    if kind == "object" or (kind is None and "properties" in node):
        return "group"
    if kind == "array":
        items = derivation.resolve(node.get("items"))
        if _options(items):
            return "checklist"
        return "dynamiclist" if items.get("type") == "object" or "properties" in items else "taglist"
    if _options(node):
        return "select"
    return FORMAT_WIDGETS.get(node.get("format")) or TYPE_WIDGETS.get(kind, "text")


def _options(node: dict) -> list[dict]:
    """Choices from `enum` (+ `enumNames`) or from `oneOf`/`anyOf` entries of `const` + `title`."""
    if isinstance(node.get("enum"), list):
        # rjsf's older "enumNames" labels the enum values in the same order.
        names = node.get("enumNames") if isinstance(node.get("enumNames"), list) else []
        return [{"value": value, "label": str(names[i]) if i < len(names) else str(value)}
                for i, value in enumerate(node["enum"]) if value is not None]
    entries = node.get("oneOf") or node.get("anyOf") or []
    if entries and all(isinstance(e, dict) and "const" in e for e in entries):
        return [{"value": e["const"], "label": e.get("title") or str(e["const"])} for e in entries]
    return []


def _ordered(names: list[str], order: Any) -> list[str]:
    """Property names in ui:order order; "*" stands for all the others (rjsf's rule)."""
    if not isinstance(order, list):
        return names
    listed = [n for n in order if n in names]
    rest = [n for n in names if n not in listed]
    if "*" not in order:
        return listed + rest
    star = order.index("*")
    before = [n for n in order[:star] if n in names]
    return before + rest + [n for n in order[star + 1:] if n in names]


def _merge_fuse_ui(ui: dict, given: dict) -> None:
    """A ui document already in Fuse's shape refines the derived fields and may set the order."""
    for key, hints in (given.get("fields") or {}).items():
        if isinstance(hints, dict):
            ui["fields"].setdefault(key, {}).update(hints)
    if isinstance(given.get("order"), list):
        ui["order"] = list(given["order"])
