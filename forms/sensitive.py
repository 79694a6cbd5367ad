"""The fields of a form that are marked sensitive (their values must not show in the history).

Marked sensitive are: JSON Schema properties with `writeOnly: true` or `"x-sensitive": true`
(Fuse forms), and fields whose custom properties say `sensitive: "true"` (Camunda Forms
components and Camunda 7 form fields). Paths are UI keys: "card.cvc", "items[].pin".
"""
from __future__ import annotations

from forms.model import FormModel
from forms.paths import resolve

TRUE = (True, "true", "True", "TRUE")


def sensitive_fields(model: FormModel) -> list[str]:
    """UI keys of the sensitive fields of `model`, sorted."""
    found = set(_schema_fields(model.schema, model.schema, ""))
    for key, hints in (model.ui_schema.get("fields") or {}).items():
        if isinstance(hints, dict) and (hints.get("properties") or {}).get("sensitive") in TRUE:
            found.add(key)
    return sorted(found)


def _schema_fields(root: dict, node, prefix: str, depth: int = 0):
    node = resolve(root, node)
    if depth > 32:  # a recursive schema must not recurse for ever
        return
    for name, prop in (node.get("properties") or {}).items():
        prop = resolve(root, prop)
        key = f"{prefix}.{name}" if prefix else name
        if prop.get("writeOnly") is True or prop.get("x-sensitive") in TRUE:
            yield key
            continue
        yield from _schema_fields(root, prop, key, depth + 1)
        if isinstance(prop.get("items"), dict):
            yield from _schema_fields(root, prop["items"], f"{key}[]", depth + 1)
