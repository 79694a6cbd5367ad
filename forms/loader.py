"""One entry point for every form format: load_form(kind, document, name) -> FormModel.

    "camunda-form"  a form-js `.form` document            -> forms.camunda_forms.from_form_js
    "json-schema"   NAME.schema.json (+ NAME.uischema.json) -> forms.json_schema.from_json_schema
    "form-fields"   Camunda 7 formData fields (a list)     -> forms.generated.from_form_fields
"""
from __future__ import annotations

import json
from typing import Any, Callable

from forms.camunda_forms import from_form_js
from forms.generated import from_form_fields
from forms.json_schema import from_json_schema
from forms.model import FormError, FormModel


def _camunda_form(document: Any, ui_document: Any, name: str) -> FormModel:
    return from_form_js(document, name)


def _json_schema(document: Any, ui_document: Any, name: str) -> FormModel:
    return from_json_schema(document, ui_document, name)


def _form_fields(document: Any, ui_document: Any, name: str) -> FormModel:
    fields = document.get("fields") if isinstance(document, dict) else document  # a whole serialized form too
    if not isinstance(fields, list) or not all(isinstance(field, dict) for field in fields):
        raise FormError(f"form {name}: form fields must be a list of field objects")
    return from_form_fields(fields, name)


FORMATS: dict[str, Callable[[Any, Any, str], FormModel]] = {
    "camunda-form": _camunda_form,
    "json-schema": _json_schema,
    "form-fields": _form_fields,
}


def load_form(kind: str, document: bytes | dict | list, name: str,
              ui_document: bytes | dict | None = None) -> FormModel:
    """The form model of `document` in format `kind`; FormError if it cannot be read."""
    if kind not in FORMATS:
        raise FormError(f"form {name}: unknown form kind {kind!r} (known: {', '.join(FORMATS)})")
    return FORMATS[kind](_parsed(document, name), _parsed(ui_document, f"{name} (ui)"), name)


def _parsed(document: bytes | str | dict | list | None, name: str) -> Any:
    if not isinstance(document, (bytes, bytearray, str)):
        return document
    try:
        text = document.decode("utf-8-sig") if isinstance(document, (bytes, bytearray)) else document
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FormError(f"form {name} is not valid JSON: {err}") from None
