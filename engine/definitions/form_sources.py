"""Where a task's (or start event's) form comes from: one resolver per way Camunda users refer to one.

Resolvers are tried in order; each looks at the element's `extensions["form"]` / properties and
returns a FormSource (format, document, name) or None.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpmn.namespaces import zeebe
from bpmn.xml_reader import read_xml
from engine.store.models import DeploymentResource, FormDefinition, ProcessDefinition


@dataclass
class FormSource:
    kind: str  # a forms.loader format: "camunda-form" | "json-schema" | "form-fields"
    document: bytes | dict | list
    name: str
    ui_document: bytes | None = None


class FormNotFound(Exception):
    """An element names a form that is not deployed (a model problem, reported plainly)."""


def _resource(session: Session, deployment_id: str, name: str) -> bytes | None:
    return session.scalar(select(DeploymentResource.content).where(
        DeploymentResource.deployment_id == deployment_id, DeploymentResource.name == name))


def _required(session: Session, definition: ProcessDefinition, name: str) -> bytes:
    content = _resource(session, definition.deployment_id, name)
    if content is None:
        raise FormNotFound(f"form file {name} is not part of the deployment of {definition.key}")
    return content


def _json_key(session, definition, extensions) -> FormSource | None:
    """camunda:formKey="json:NAME": Fuse's own NAME.schema.json (+ NAME.uischema.json)."""
    key = extensions.get("form", {}).get("key") or ""
    if not key.startswith("json:"):
        return None
    name = key[len("json:"):]
    return FormSource("json-schema", _required(session, definition, f"{name}.schema.json"), name,
                      _resource(session, definition.deployment_id, f"{name}.uischema.json"))


def _spiff_properties(session, definition, extensions) -> FormSource | None:
    """spiff-arena's formJsonSchemaFilename / formUiSchemaFilename properties."""
    properties = extensions.get("properties", {})
    schema_file = properties.get("formJsonSchemaFilename")
    if not schema_file:
        return None
    ui_file = properties.get("formUiSchemaFilename")
    ui = _resource(session, definition.deployment_id, ui_file) if ui_file else None
    return FormSource("json-schema", _required(session, definition, schema_file), schema_file, ui)


DEPLOYMENT_FORM = "camunda-forms:deployment:"
# Camunda 7 reads these from the process application's web app; Fuse has none, so the deployment holds them.
APP_FORM = "camunda-forms:app:"


def app_form_names(path: str) -> tuple[str, ...]:
    """The deployed file names camunda-forms:app:PATH is found under: PATH itself, else its last part
    (a web app keeps forms in folders, a deployment is a flat list of files)."""
    file_name = path.rsplit("/", 1)[-1]
    return (path,) if file_name == path else (path, file_name)


def _deployment_form(session, definition, extensions) -> FormSource | None:
    """camunda:formKey="camunda-forms:deployment:FILE.form" or "camunda-forms:app:PATH/FILE.form"."""
    key = extensions.get("form", {}).get("key") or ""
    if key.startswith(DEPLOYMENT_FORM):
        name = key[len(DEPLOYMENT_FORM):]
        return FormSource("camunda-form", _required(session, definition, name), name)
    if key.startswith(APP_FORM):
        for name in app_form_names(key[len(APP_FORM):]):
            if (content := _resource(session, definition.deployment_id, name)) is not None:
                return FormSource("camunda-form", content, name)
        _required(session, definition, key[len(APP_FORM):])  # raises FormNotFound naming it
    return None


def _embedded_form(session, definition, extensions) -> FormSource | None:
    """Camunda 8 embedded forms: formKey "camunda-forms:bpmn:ID" naming a zeebe:userTaskForm."""
    key = extensions.get("form", {}).get("key") or ""
    prefix = "camunda-forms:bpmn:"
    if not key.startswith(prefix):
        return None
    form_id = key[len(prefix):]
    root = read_xml(_required(session, definition, definition.resource_name), definition.resource_name)
    for node in root.iter(zeebe("userTaskForm")):
        if node.get("id") == form_id:
            return FormSource("camunda-form", (node.text or "").encode(), form_id)
    raise FormNotFound(f"no zeebe:userTaskForm with id {form_id} in {definition.resource_name}")


def _registered_form(session, definition, extensions) -> FormSource | None:
    """camunda:formRef (binding latest | deployment | version) or zeebe:formDefinition formId."""
    form = extensions.get("form", {})
    form_id = form.get("ref") or form.get("form_id")
    if not form_id:
        return None
    query = select(FormDefinition).where(FormDefinition.form_id == form_id)
    binding = form.get("binding") or "latest"
    if binding == "deployment":
        query = query.where(FormDefinition.deployment_id == definition.deployment_id)
    elif binding == "version":
        query = query.where(FormDefinition.version == int(form.get("version") or 0))
    found = session.scalars(query.order_by(FormDefinition.version.desc()).limit(1)).first()
    if found is None:
        raise FormNotFound(f"no deployed form with id {form_id} (binding {binding})")
    return FormSource("camunda-form", _required_by_id(session, found), found.resource_name)


def _required_by_id(session: Session, form: FormDefinition) -> bytes:
    return session.scalar(select(DeploymentResource.content).where(
        DeploymentResource.deployment_id == form.deployment_id, DeploymentResource.name == form.resource_name))


def _generated(session, definition, extensions) -> FormSource | None:
    """Camunda 7 generated forms: camunda:formData fields."""
    fields = extensions.get("form", {}).get("fields")
    return FormSource("form-fields", fields, f"{definition.key} form fields") if fields else None


RESOLVERS: list[Callable[[Session, ProcessDefinition, dict], FormSource | None]] = [
    _json_key, _spiff_properties, _deployment_form, _embedded_form, _registered_form, _generated,
]


def form_source(session: Session, definition: ProcessDefinition, extensions: dict) -> FormSource | None:
    """The form an element refers to, or None when it has none."""
    for resolve in RESOLVERS:
        if (source := resolve(session, definition, extensions)) is not None:
            return source
    return None


def next_form_version(session: Session, form_id: str) -> int:
    return (session.scalar(select(func.max(FormDefinition.version)).where(FormDefinition.form_id == form_id)) or 0) + 1


def form_id_of(document: bytes) -> str | None:
    """The `id` of a Camunda Form document, if it has one."""
    try:
        parsed = json.loads(document.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return parsed.get("id") if isinstance(parsed, dict) and isinstance(parsed.get("id"), str) else None



def files_named(extensions: dict) -> list[tuple[str, ...]]:
    """The deployment files an element's form reference names (json:, camunda-forms:deployment:,
    camunda-forms:app:, spiff), each as the names it may be deployed under."""
    form, properties = extensions.get("form", {}), extensions.get("properties", {})
    key = form.get("key") or ""
    named = []
    if key.startswith("json:"):
        named.append((f"{key[len('json:'):]}.schema.json",))
    if key.startswith(DEPLOYMENT_FORM):
        named.append((key[len(DEPLOYMENT_FORM):],))
    if key.startswith(APP_FORM):
        named.append(app_form_names(key[len(APP_FORM):]))
    named.extend((v,) for k, v in properties.items() if k in ("formJsonSchemaFilename", "formUiSchemaFilename") and v)
    return named


# Form keys Fuse shows; any other key names a form only Camunda's own web apps (or the user's) could show.
SHOWN_KEY_PREFIXES = ("json:", DEPLOYMENT_FORM, APP_FORM, "camunda-forms:bpmn:")
UNSHOWN_KEY_REASONS = (
    ("embedded:", "embedded HTML forms are not supported"),
    ("app:", "forms served by a Camunda web application are not supported"),
)


def unshown_form(extensions: dict) -> str | None:
    """Why Fuse cannot show the form an element's form key names (None when it can, or there is none):
    the task then accepts any variables, unchecked."""
    form = extensions.get("form", {})
    key = form.get("key") or ""
    if not key or key.startswith(SHOWN_KEY_PREFIXES) or form.get("fields") or form.get("ref") or form.get("form_id"):
        return None
    reason = next((why for prefix, why in UNSHOWN_KEY_REASONS if key.startswith(prefix)),
                  "the key's scheme is not one Fuse knows (json:, camunda-forms:deployment:, camunda-forms:app:, "
                  "camunda-forms:bpmn:)")
    return f"form key '{key}' names a form Fuse cannot show ({reason}): the task accepts any variables unchecked"
