"""Camunda Forms (bpmn-io form-js JSON, `.form` files) -> FormModel.

Value components become schema properties at their key (dots nest objects); a group with a `path`
nests its members in an object, a dynamic list becomes an array of objects; text, html, image,
separator and spacer are UI only; buttons are dropped (the task page has its own); components Fuse
cannot honour on the server are left out with a warning.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from forms.camunda_fields import FIELD_BUILDERS
from forms.model import FormError, FormModel, empty_schema
from forms.paths import object_schema, place_property, place_value, split_path

DISPLAY_WIDGETS = {"text": "text-display", "html": "html", "image": "image", "separator": "separator",
                   "spacer": "spacer"}
DISPLAY_CONTENT = {"text": ("text",), "html": ("content",), "image": ("source", "alt"), "spacer": ("height",)}
UNSUPPORTED = {
    "expression": "computes its value with FEEL in the browser, which Fuse does not do",
    "filepicker": "uploads files, which Fuse forms do not store",
    "iframe": "embeds another page, which Fuse does not show",
    "table": "shows a table, which Fuse does not render",
    "documentPreview": "previews documents, which Fuse does not store",
}
SILENT = frozenset({"button"})


@dataclass(frozen=True)
class _Scope:
    container: dict                 # the object schema members go into: the root or a list item
    prefix: tuple[str, ...] = ()    # path from the container to here (set by groups with a path)
    ui_prefix: str = ""             # UI key of the enclosing list item ("items[]"), "" at the top
    in_list: bool = False           # inside a dynamic list: defaults belong to items, not the form
    conditional: bool = False       # some enclosing component may be hidden

    def ui_key(self, parts: list[str] | tuple[str, ...]) -> str:
        key = ".".join(parts)
        return f"{self.ui_prefix}.{key}" if self.ui_prefix and key else self.ui_prefix or key


def from_form_js(document: dict, name: str = "form") -> FormModel:
    """The form model of a form-js document (any schemaVersion); warnings name what was left out."""
    if not isinstance(document, dict) or not isinstance(document.get("components", []), list):
        raise FormError(f"form {name} is not a Camunda form: expected an object with a 'components' list")
    conversion = _Conversion(name)
    order = conversion.components(document.get("components") or [], _Scope(conversion.schema))
    return FormModel(conversion.schema, {"order": order, "fields": conversion.fields},
                     conversion.defaults, conversion.warnings)


class _Conversion:
    """The state of one document's conversion: the schema, UI fields, defaults and warnings so far."""

    def __init__(self, name: str):
        self.name = name
        self.schema = empty_schema()
        self.fields: dict[str, dict] = {}
        self.defaults: dict = {}
        self.warnings: list[str] = []
        self._anonymous = 0

    def components(self, components: list, scope: _Scope) -> list[str]:
        """Convert `components` in order; the UI keys of those that show up."""
        keys = []
        for component in components:
            if not isinstance(component, dict):
                self.warnings.append(f"form {self.name}: a component is not an object; it is left out")
                continue
            if (key := self._handler(component.get("type"))(component, scope)) is not None:
                keys.append(key)
        return keys

    def _handler(self, kind: str | None) -> Callable[[dict, _Scope], str | None]:
        if kind in FIELD_BUILDERS:
            return self.value_field
        handlers = {"group": self.group, "dynamiclist": self.dynamic_list,
                    **dict.fromkeys(DISPLAY_WIDGETS, self.display), **dict.fromkeys(SILENT, self.ignore)}
        return handlers.get(kind, self.unsupported)

    def warn(self, component: dict, message: str) -> None:
        ident = component.get("key") or component.get("path") or component.get("id") or "?"
        self.warnings.append(f"form {self.name}: {component.get('type')} '{ident}' {message}")

    def value_field(self, component: dict, scope: _Scope) -> str | None:
        if not component.get("key"):
            self.warn(component, "has no key; it is left out")
            return None
        parts = [*scope.prefix, *split_path(component["key"])]
        hidden = _hide_condition(component)
        # A field that may be hidden is only required when shown, which the server cannot tell.
        wants_required = bool((component.get("validate") or {}).get("required"))
        required = wants_required and not (scope.conditional or hidden)
        builder, widget = FIELD_BUILDERS[component["type"]]
        prop, ui = builder(component, required, lambda message: self.warn(component, message))
        _annotate(prop, component)
        if "defaultValue" in component:
            prop["default"] = component["defaultValue"]
            if not scope.in_list:
                place_value(self.defaults, parts, component["defaultValue"])
        key = scope.ui_key(parts)
        if key in self.fields:
            self.warn(component, f"binds '{key}' like an earlier component; the last one wins")
        if not place_property(scope.container, parts, prop, required):
            self.warn(component, f"cannot nest '{key}' under a field that is not an object; it is left out")
            return None
        self.fields[key] = {**_common_ui(component, widget, hidden), "required": wants_required, **ui}
        return key

    def group(self, component: dict, scope: _Scope) -> str | None:
        path = split_path(component.get("path") or "")
        parts = (*scope.prefix, *path)
        if path and not place_property(scope.container, list(parts), _existing(scope.container, parts), False):
            self.warn(component, "cannot nest its path under a field that is not an object; it is left out")
            return None
        hidden = _hide_condition(component)
        inner = replace(scope, prefix=parts, conditional=scope.conditional or bool(hidden))
        key = scope.ui_key(parts) if path else self._display_key(component)
        self.fields[key] = {**_common_ui(component, "group", hidden), "children": []}
        self.fields[key]["children"] = self.components(component.get("components") or [], inner)
        return key

    def dynamic_list(self, component: dict, scope: _Scope) -> str | None:
        if not component.get("path"):
            self.warn(component, "has no path; it is left out")
            return None
        parts = [*scope.prefix, *split_path(component["path"])]
        item = object_schema()
        prop = {"type": "array", "items": item}
        _annotate(prop, component)
        if not place_property(scope.container, parts, prop, False):
            self.warn(component, "cannot nest its path under a field that is not an object; it is left out")
            return None
        hidden = _hide_condition(component)
        key = scope.ui_key(parts)
        inner = _Scope(item, (), f"{key}[]", True, scope.conditional or bool(hidden))
        ui = self.fields[key] = {**_common_ui(component, "dynamiclist", hidden), "children": []}
        hints = {"defaultRepetitions": "default_repetitions", "allowAddRemove": "allow_add_remove",
                 "nonCollapsedItems": "non_collapsed_items"}
        ui.update({name: component[k] for k, name in hints.items() if component.get(k) is not None})
        ui["children"] = self.components(component.get("components") or [], inner)
        return key

    def display(self, component: dict, scope: _Scope) -> str:
        key = self._display_key(component)
        kind = component["type"]
        ui = _common_ui(component, DISPLAY_WIDGETS[kind], _hide_condition(component))
        ui.update({name: component[name] for name in DISPLAY_CONTENT.get(kind, ()) if name in component})
        self.fields[key] = ui
        return key

    def ignore(self, component: dict, scope: _Scope) -> None:
        return None

    def unsupported(self, component: dict, scope: _Scope) -> None:
        reason = UNSUPPORTED.get(component.get("type"), "is a component type Fuse does not know")
        self.warn(component, f"{reason}; it is left out of the form")

    def _display_key(self, component: dict) -> str:
        if component.get("id") and component["id"] not in self.fields:
            return component["id"]
        self._anonymous += 1
        return f"_{component.get('type')}_{self._anonymous}"


def _existing(container: dict, parts: tuple[str, ...]) -> dict:
    """The object already at `parts` (two groups may share a path), or a new one."""
    node = container
    for part in parts:
        node = (node.get("properties") or {}).get(part)
        if node is None:
            return object_schema()
    return node


def _hide_condition(component: dict) -> str | None:
    hide = (component.get("conditional") or {}).get("hide")
    return hide if isinstance(hide, str) and hide.strip() else None


def _annotate(prop: dict, component: dict) -> None:
    """Copy what JSON Schema can say itself: title, help text, read-only."""
    if isinstance(component.get("label"), str) and component["label"]:
        prop["title"] = component["label"]
    if isinstance(component.get("description"), str) and component["description"]:
        prop["description"] = component["description"]
    if component.get("readonly") is True or component.get("disabled") is True:
        prop["readOnly"] = True


def _common_ui(component: dict, widget: str, hidden: str | None) -> dict:
    """UI hints every component shares; FEEL labels and readonly expressions pass through as text."""
    ui = {"label": component.get("label") or "", "widget": widget,
          "readonly": component.get("readonly", False) or bool(component.get("disabled"))}
    optional = {"description": component.get("description"), "placeholder": component.get("placeholder"),
                "hidden_if": hidden, "disabled": component.get("disabled") or None,
                "prefix": (component.get("appearance") or {}).get("prefixAdorner"),
                "suffix": (component.get("appearance") or {}).get("suffixAdorner"),
                "properties": component.get("properties") or None}
    ui.update({name: value for name, value in optional.items() if value is not None})
    return ui
