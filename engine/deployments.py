"""Deploying models: checking, versioning and storing definitions; reading them back."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bpmn import compiler
from bpmn.compiler import Compilation, compile_models, is_model_file
from bpmn.errors import ElementProblem, ModelProblems, XmlError
from engine.errors import BadRequest, Conflict, InvalidModel, MalformedXml, NotFound
from engine.lookup import get_or_raise
from engine.form_sources import files_named, form_id_of, next_form_version
from engine.models import Deployment, DeploymentResource, FormDefinition, ProcessDefinition, utcnow
from engine.serialization import dump_specs
from engine.timer_starts import schedule_timer_starts, timer_start_problems
from forms.loader import load_form
from forms.model import FormError
from forms.resources import form_problems, is_form_file


def checksum(files: dict[str, bytes]) -> str:
    """Identical uploads (same names, same bytes) compiled by the same compiler generation have the
    same checksum."""
    digest = hashlib.sha256(f"fuse-compiler:{compiler.COMPILER_GENERATION}\0".encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


# Files handlers read (policies, model files) travel with the model that uses them.
HANDLER_FILE_SUFFIXES = (".policy.json", ".joblib")


def _check_file_names(files: dict[str, bytes]) -> None:
    if not files:
        raise BadRequest("no files: send one or more 'file' parts")
    unknown = [n for n in files
               if not (is_model_file(n) or is_form_file(n) or n.lower().endswith(HANDLER_FILE_SUFFIXES))]
    if unknown:
        raise BadRequest(f"unsupported file type: {', '.join(unknown)} (expected .bpmn, .dmn, .form, "
                         ".schema.json, .uischema.json, .policy.json or .joblib)")
    if not any(n.lower().endswith((".bpmn", ".bpmn20.xml", ".bpmn2")) for n in files):
        raise BadRequest("a deployment needs at least one .bpmn file")


def form_warnings(files: dict[str, bytes]) -> list[ElementProblem]:
    """What each deployed form asks for that Fuse cannot honour (named by form and component)."""
    warnings = []
    for name, content in sorted(files.items()):
        kind = FORM_KINDS.get(next((s for s in FORM_KINDS if name.lower().endswith(s)), ""))
        if kind is None:
            continue
        try:
            model = load_form(kind, content, name)
        except FormError as err:
            warnings.append(ElementProblem(None, None, err.message, name))
            continue
        warnings.extend(ElementProblem(None, None, message, name) for message in model.warnings)
    return warnings


def missing_forms(compiled: Compilation, files: dict[str, bytes]) -> list[ElementProblem]:
    """A warning for every form file an element names that is not in the deployment."""
    warnings = []
    for process in compiled.processes:
        for spec in _all_task_specs(process):
            for name in files_named(getattr(spec, "extensions", None) or {}):
                if name not in files:
                    warnings.append(ElementProblem(spec.bpmn_id, None, f"form file {name} is not in this deployment: "
                                                   "the task runs without form checks", process.resource_name))
    return warnings


def unknown_handlers(compiled: Compilation) -> list[ElementProblem]:
    """A warning for each task bound to a handler name nobody registered (and not an external topic)."""
    from engine.handlers.registry import find_handler
    from engine.service_calls import handler_name

    warnings = []
    for process in compiled.processes:
        for spec in _all_task_specs(process):
            handler = (getattr(spec, "extensions", None) or {}).get("handler")
            name, external = handler_name(handler) if handler else (None, True)
            if name and not external and find_handler(name) is None:
                warnings.append(ElementProblem(spec.bpmn_id, None, f"no handler is registered under the name "
                                               f"'{name}': the task will open an incident until one is",
                                               process.resource_name))
    return warnings


def _mark_sensitive_fields(session: Session, definitions: list[ProcessDefinition], compiled: Compilation) -> None:
    """Note each form's sensitive fields in its definition's catalogue (the history masks them)."""
    from engine.sensitive_fields import mark_sensitive_fields  # it imports task_forms, which imports us

    for definition, process in zip(definitions, compiled.processes):
        mark_sensitive_fields(session, definition, _all_task_specs(process))


def _all_task_specs(process):
    if process.spec is None:
        return []
    return [s for p in (process.spec, *process.subprocess_specs.values()) for s in p.task_specs.values()]


# Form files that stand alone (a .uischema.json only completes its .schema.json).
FORM_KINDS = {".form": "camunda-form", ".schema.json": "json-schema"}


def compile_files(files: dict[str, bytes], allow_non_executable: bool = False) -> Compilation:
    """Compile uploads, mapping model errors to the engine's error types."""
    _check_file_names(files)
    try:
        compiled = compile_models(files, allow_non_executable)
    except XmlError as err:
        raise MalformedXml(err.message, file=err.file, line=err.line, column=err.column) from None
    except ModelProblems as err:
        raise InvalidModel(f"{len(err.problems)} problem(s) make this model impossible to run",
                           err.problems) from None
    if problems := timer_problems(compiled):
        raise InvalidModel(f"{len(problems)} problem(s) make this model impossible to run", problems)
    if problems := form_problems(files) + policy_problems(files):
        raise InvalidModel(f"{len(problems)} deployed file(s) cannot be read", problems)
    return compiled


def timer_problems(compiled: Compilation) -> list[ElementProblem]:
    """Timer start events of executable processes that no schedule can be made of."""
    return [problem for process in compiled.processes if process.executable
            for problem in timer_start_problems(process.events, process.resource_name)]


def policy_problems(files: dict[str, bytes]) -> list[ElementProblem]:
    """Every problem of every policy file (JSON shape, rules that do not compile)."""
    from engine.handlers.policy import check_policy_document  # the CEL library loads on first use

    return [ElementProblem(None, None, message, name) for name, content in sorted(files.items())
            if name.lower().endswith(".policy.json") for message in check_policy_document(content, name)]


def _stored_specs(compiled: Compilation) -> dict[str, str]:
    """Each process's spec as stored; a spec SpiffWorkflow cannot serialize is a model problem."""
    stored, problems = {}, []
    for process in compiled.processes:
        try:
            stored[process.key] = dump_specs(process.spec, process.subprocess_specs) if process.spec else ""
        except (TypeError, ValueError) as err:
            problems.append(ElementProblem(process.key, None, f"cannot store the process: {err}",
                                           process.resource_name))
    if problems:
        raise InvalidModel(f"{len(problems)} process(es) cannot be stored", problems)
    return stored


@dataclass
class DeployResult:
    deployment: Deployment
    created: bool
    warnings: list[ElementProblem] = field(default_factory=list)


def deploy(session: Session, files: dict[str, bytes], name: str | None, actor: str | None,
           allow_non_executable: bool = False) -> DeployResult:
    """Deploy files. Identical content returns the old deployment; changed content makes new versions."""
    digest = checksum(files)
    existing = session.scalars(select(Deployment).where(Deployment.checksum == digest)).one_or_none()
    if existing is not None:
        return DeployResult(existing, False)
    compiled = compile_files(files, allow_non_executable)
    deployment = Deployment(id=str(uuid.uuid4()), name=name or sorted(files)[0], checksum=digest,
                            created_at=utcnow(), created_by=actor)
    deployment.resources = [DeploymentResource(name=n, content=c) for n, c in sorted(files.items())]
    session.add(deployment)
    stored_specs = _stored_specs(compiled)
    definitions = []
    for process in compiled.processes:
        latest = session.scalar(select(func.max(ProcessDefinition.version))
                                .where(ProcessDefinition.key == process.key)) or 0
        definitions.append(ProcessDefinition(
            id=f"{process.key}:{latest + 1}:{uuid.uuid4()}", key=process.key, version=latest + 1,
            name=process.name, deployment=deployment, resource_name=process.resource_name,
            spec_json=stored_specs[process.key],
            activities=process.activities, executable=process.executable, events=process.events,
            created_at=utcnow()))
        session.add(definitions[-1])
    try:
        session.flush()  # the deployment's row first: forms refer to it
        for name, content in sorted(files.items()):
            if name.lower().endswith(".form") and (form_id := form_id_of(content)):
                session.add(FormDefinition(form_id=form_id, version=next_form_version(session, form_id),
                                           deployment_id=deployment.id, resource_name=name, created_at=utcnow()))
        for definition in definitions:
            schedule_timer_starts(session, definition)
        _mark_sensitive_fields(session, definitions, compiled)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("another deployment of the same process keys was made at the same time; retry") from None
    warnings = compiled.warnings + form_warnings(files) + missing_forms(compiled, files) + unknown_handlers(compiled)
    return DeployResult(deployment, True, warnings)


@dataclass
class ValidationReport:
    valid: bool
    processes: list[dict]
    errors: list[ElementProblem]
    warnings: list[ElementProblem]


def validate_files(files: dict[str, bytes]) -> ValidationReport:
    """What deploying these files would say, without deploying: every error and warning."""
    _check_file_names(files)
    try:
        compiled = compile_models(files, allow_non_executable=True)
    except XmlError as err:
        error = ElementProblem(None, err.line, f"{err.message} (column {err.column})" if err.column else err.message,
                               err.file)
        return ValidationReport(False, [], [error], [])
    except ModelProblems as err:
        return ValidationReport(False, [], err.problems, err.warnings)
    errors = timer_problems(compiled) + form_problems(files) + policy_problems(files)
    processes = [{"key": p.key, "name": p.name, "executable": p.executable} for p in compiled.processes]
    return ValidationReport(not errors, processes, errors, compiled.warnings + form_warnings(files))


def list_deployments(session: Session) -> list[Deployment]:
    return list(session.scalars(select(Deployment).order_by(Deployment.created_at.desc())))


def get_deployment(session: Session, deployment_id: str) -> Deployment:
    return get_or_raise(session, Deployment, deployment_id, "deployment")


def list_definitions(session: Session, key: str | None = None, latest: bool = False) -> list[ProcessDefinition]:
    """Definitions, optionally of one key and/or only the newest version of each key."""
    query = select(ProcessDefinition)
    if key:
        query = query.where(ProcessDefinition.key == key)
    if latest:
        newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
                  .group_by(ProcessDefinition.key).subquery())
        query = query.join(newest, (ProcessDefinition.key == newest.c.key)
                           & (ProcessDefinition.version == newest.c.version))
    return list(session.scalars(query.order_by(ProcessDefinition.key, ProcessDefinition.version)))


def get_definition(session: Session, definition_id: str) -> ProcessDefinition:
    return get_or_raise(session, ProcessDefinition, definition_id, "process definition")


def latest_definition(session: Session, key: str) -> ProcessDefinition:
    """The newest version of a key (on the hot path of every start: one indexed query)."""
    found = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                            .order_by(ProcessDefinition.version.desc()).limit(1)).first()
    if found is None:
        raise NotFound(f"no process definition with key {key}")
    return found


def definition_xml(session: Session, definition_id: str) -> bytes:
    """The BPMN file the definition was deployed from, byte for byte."""
    definition = get_definition(session, definition_id)
    resource = session.scalars(select(DeploymentResource).where(
        DeploymentResource.deployment_id == definition.deployment_id,
        DeploymentResource.name == definition.resource_name)).one()
    return resource.content
