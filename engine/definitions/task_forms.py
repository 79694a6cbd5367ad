"""Forms of user tasks and start events: the model a person fills in, and checking what they sent."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.definitions.catalog import DEFINITION_ROWS, get_definition, spec_json
from engine.errors import InvalidModel, NotFound, ValidationFailed
from engine.definitions.form_sources import FormNotFound, form_source
from engine.store.local_variables import stored_local_variables
from engine.store.models import ProcessDefinition, ProcessInstance, UserTask
from engine.store.serialization import SPECS
from engine.store.states import UserTaskState
from bpmn.errors import ElementProblem
from forms.loader import load_form
from forms.model import FormError, FormModel
from forms.read_only import with_process_values, without_read_only
from forms.validation import validate_submission


@dataclass
class FormView:
    """What a page needs to show a form: its schema, UI hints, and the values to start from."""

    schema: dict
    ui_schema: dict
    data: dict


def _element_extensions(session: Session, definition: ProcessDefinition, activity_id: str) -> dict | None:
    return SPECS.elements(definition.id, lambda: spec_json(session, definition.id)).extensions.get(activity_id)


def _task_element(session: Session, instance: ProcessInstance, activity_id: str) -> tuple[ProcessDefinition, dict]:
    """The definition a task's element belongs to (the instance's, or a process one of its call activities
    called: its forms come from that deployment) and the element's extensions."""
    definition = DEFINITION_ROWS.get(session, instance.definition_id)
    called = [session.get(ProcessDefinition, i) for i in (instance.called_definitions or {}).values()]
    for candidate in (definition, *(c for c in called if c is not None)):
        if (extensions := _element_extensions(session, candidate, activity_id)) is not None:
            return candidate, extensions
    return definition, {}


def task_extensions(session: Session, instance: ProcessInstance, activity_id: str) -> tuple[ProcessDefinition, dict]:
    """The definition a task's element belongs to, and that element's extensions."""
    return _task_element(session, instance, activity_id)


def _start_extensions(session: Session, definition: ProcessDefinition) -> tuple[str | None, dict]:
    """The (first) start event of the process that has a form, and its extensions."""
    index = SPECS.elements(definition.id, lambda: spec_json(session, definition.id))
    return next(((bpmn_id, extensions) for bpmn_id, extensions in index.start_events if extensions.get("form")),
                (None, {}))


def form_model(session: Session, definition: ProcessDefinition, extensions: dict, element_id: str | None
               ) -> FormModel | None:
    """The form an element refers to, loaded into Fuse's model; InvalidModel if it cannot be."""
    try:
        source = form_source(session, definition, extensions)
        if source is None:
            return None
        return load_form(source.kind, source.document, source.name, source.ui_document)
    except (FormNotFound, FormError) as err:
        raise InvalidModel(str(err), [ElementProblem(element_id, None, str(err), definition.resource_name)]) from None


def _view(model: FormModel, variables: dict) -> FormView:
    data = {**model.defaults}
    for name in model.schema.get("properties", {}):
        if name in variables:
            data[name] = variables[name]
    return FormView(model.schema, model.ui_schema, data)


def task_form(session: Session, task: UserTask) -> FormView:
    """The task's form with the instance's current values (404 when the task has no form)."""
    instance = session.get(ProcessInstance, task.instance_id)
    definition, extensions = _task_element(session, instance, task.activity_id)
    model = form_model(session, definition, extensions, task.activity_id)
    if model is None:
        raise NotFound(f"task {task.id} has no form")
    return _view(model, task_variables(task, instance.variables, instance.workflow_state))


def task_variables(task: UserTask, instance_variables: dict, workflow_state: str | None) -> dict:
    """What a task sees: its instance's variables, and an open task's own input parameters over them."""
    if task.state != UserTaskState.OPEN.value or not workflow_state:
        return instance_variables
    return {**instance_variables, **stored_local_variables(workflow_state, task.id)}


def start_form(session: Session, definition_id: str) -> FormView:
    definition = get_definition(session, definition_id)
    element_id, extensions = _start_extensions(session, definition)
    model = form_model(session, definition, extensions, element_id)
    if model is None:
        raise NotFound(f"process definition {definition_id} has no start form")
    return _view(model, {})


def checked(model: FormModel | None, variables: dict) -> dict:
    """The submitted variables, typed as the form says; ValidationFailed lists every bad field."""
    if model is None:
        return variables
    coerced, errors = validate_submission(model, variables)
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) need attention",
                               errors=[error.as_dict() for error in errors])
    return coerced


def _model_for_checking(session, definition, extensions, element_id) -> FormModel | None:
    """The form to check a submission against. A form the model names but nobody deployed does not
    block the work (Camunda does not check forms at all); deploying warns about it, and reading
    the form answers 422 naming it."""
    try:
        return form_model(session, definition, extensions, element_id)
    except InvalidModel:
        return None


def check_task_submission(session: Session, task: UserTask, instance: ProcessInstance, variables: dict
                          ) -> tuple[dict, FormModel | None]:
    """The submission, typed as the task's form says, and that form (None if it has none); values
    of read-only fields are not taken from a person (the form shows them, the process owns them), and
    the form's checks (required, type) see the process's values there."""
    definition, extensions = _task_element(session, instance, task.activity_id)
    model = _model_for_checking(session, definition, extensions, task.activity_id)
    if model is None:
        return variables, None
    return without_read_only(model, checked(model, with_process_values(model, variables, instance.variables))), model


def check_start_submission(session: Session, definition: ProcessDefinition, variables: dict) -> dict:
    element_id, extensions = _start_extensions(session, definition)
    return checked(_model_for_checking(session, definition, extensions, element_id), variables)


def start_form_reference(session: Session, definition_id: str) -> dict:
    """How the process's start event names its form, as modelled: {"key", "ref", "binding", "version"}
    (all None when it has no form); reading the form itself is start_form."""
    definition = get_definition(session, definition_id)
    _, extensions = _start_extensions(session, definition)
    form = extensions.get("form", {}) if extensions else {}
    return {"key": form.get("key") or None, "ref": form.get("ref") or form.get("form_id") or None,
            "binding": form.get("binding") or None, "version": form.get("version") or None}
