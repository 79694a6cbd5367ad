"""Sensitive form fields of a definition: collected when it is deployed, read when its instances record.

Deploying writes the sensitive fields of each element's form into the definition's activities
catalogue ({element id: {..., "sensitive_fields": ["pin", "card.cvc"]}}), so that masking needs
no form loading at run time. A form bound by reference may change later (formRef binding
"latest"); completing a task adds the fields of the form it was completed with.
"""
from __future__ import annotations

import os

from sqlalchemy.orm import Session

from engine.errors import InvalidModel
from engine.store.models import ProcessDefinition
from engine.history.sensitive import ENV_VARIABLE, SensitiveNames
from engine.definitions.task_forms import form_model
from forms.model import FormModel
from forms.sensitive import sensitive_fields

_BY_DEFINITION: dict[tuple[str, str], SensitiveNames] = {}
_CACHE_SIZE = 4096


def mark_sensitive_fields(session: Session, definition: ProcessDefinition, task_specs) -> None:
    """Note in `definition.activities` the sensitive fields of the form of every element that has one."""
    activities = dict(definition.activities or {})
    for spec in task_specs:
        element_id = getattr(spec, "bpmn_id", None)
        extensions = getattr(spec, "extensions", None) or {}
        if not element_id or not (extensions.get("form") or extensions.get("properties")):
            continue
        if paths := _form_fields(session, definition, extensions, element_id):
            activities[element_id] = {**activities.get(element_id, {}), "sensitive_fields": paths}
    if activities != (definition.activities or {}):
        definition.activities = activities


def _form_fields(session: Session, definition: ProcessDefinition, extensions: dict, element_id: str) -> list[str]:
    try:
        model = form_model(session, definition, extensions, element_id)
    except InvalidModel:  # deploying warns about a form it cannot find or read
        return []
    return sensitive_fields(model) if model is not None else []


def definition_names(definition: ProcessDefinition) -> SensitiveNames:
    """What the history of `definition`'s instances masks (definitions never change: cached)."""
    key = (definition.id, os.environ.get(ENV_VARIABLE, ""))
    names = _BY_DEFINITION.get(key)
    if names is None:
        if len(_BY_DEFINITION) >= _CACHE_SIZE:
            _BY_DEFINITION.clear()
        names = _BY_DEFINITION[key] = SensitiveNames().with_fields(sensitive_paths(definition))
    return names


def sensitive_paths(definition: ProcessDefinition) -> list[str]:
    """The sensitive form fields of every element of `definition`."""
    return [path for info in (definition.activities or {}).values() for path in (info.get("sensitive_fields") or ())]


def with_form_fields(names: SensitiveNames, model: FormModel | None) -> SensitiveNames:
    """`names` plus the sensitive fields of the form a task is being completed with."""
    return names.with_fields(sensitive_fields(model)) if model is not None else names
