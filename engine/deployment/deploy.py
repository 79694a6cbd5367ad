"""Deploying models: compiling, versioning and storing definitions (reading them back is engine.definitions.catalog)."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bpmn import compiler
from bpmn.compiler import Compilation, compile_models
from bpmn.errors import CompileTimeout, ElementProblem, ModelProblems, ModelTooLarge, XmlError
from bpmn.limits import compile_deadline
from engine.deployment.admission import compile_slot
from engine.definitions.form_sources import form_id_of, next_form_version
from engine.definitions.sensitive_fields import mark_sensitive_fields
from engine.deployment.checks import (all_task_specs, check_file_names, deployment_warnings,
                                      policy_problems, timer_problems)
from engine.errors import Conflict, InvalidModel, MalformedXml, ModelTooComplex
from engine.errors import ModelTooLarge as TooLarge
from engine.events.timer_starts import schedule_timer_starts
from engine.store.models import Deployment, DeploymentResource, FormDefinition, ProcessDefinition, utcnow
from engine.store.serialization import dump_specs
from forms.resources import form_problems


def checksum(files: dict[str, bytes]) -> str:
    """Identical uploads (same names, same bytes) compiled by the same compiler generation have the
    same checksum."""
    digest = hashlib.sha256(f"fuse-compiler:{compiler.COMPILER_GENERATION}\0".encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


# Files handlers read (policies, model files) travel with the model that uses them.
def _mark_sensitive_fields(session: Session, definitions: list[ProcessDefinition], compiled: Compilation) -> None:
    """Note each form's sensitive fields in its definition's catalogue (the history masks them)."""
    for definition, process in zip(definitions, compiled.processes):
        mark_sensitive_fields(session, definition, all_task_specs(process))


def bounded_compile(files: dict[str, bytes], allow_non_executable: bool) -> Compilation:
    """compile_models in one of the server's compile slots and within the compile time limit; limits
    reached are the engine's errors (ServerBusy, ModelTooLarge, ModelTooComplex)."""
    try:
        with compile_slot(), compile_deadline():
            return compile_models(files, allow_non_executable)
    except ModelTooLarge as err:
        raise TooLarge(err.message, file=err.file, limit=err.setting, max=err.limit) from None
    except CompileTimeout as err:
        raise ModelTooComplex(str(err), limit="FUSE_COMPILE_TIMEOUT_S", max=err.seconds) from None


def compile_files(files: dict[str, bytes], allow_non_executable: bool = False) -> Compilation:
    """Compile uploads, mapping model errors to the engine's error types."""
    check_file_names(files)
    try:
        compiled = bounded_compile(files, allow_non_executable)
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
           allow_non_executable: bool = False, *, source: str | None = None) -> DeployResult:
    """Deploy files. Identical content returns the old deployment; changed content makes new versions.
    `source` says where the deployment came from, as the client named it (e.g. "Camunda Modeler")."""
    digest = checksum(files)
    existing = session.scalars(select(Deployment).where(Deployment.checksum == digest)).one_or_none()
    if existing is not None:
        return DeployResult(existing, False)
    compiled = compile_files(files, allow_non_executable)
    deployment = Deployment(id=str(uuid.uuid4()), name=name or sorted(files)[0], checksum=digest,
                            created_at=utcnow(), created_by=actor, source=source)
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
            version_tag=process.version_tag, starters=process.starters, created_at=utcnow()))
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
    warnings = deployment_warnings(compiled, files)
    return DeployResult(deployment, True, warnings)


@dataclass
class ValidationReport:
    valid: bool
    processes: list[dict]
    errors: list[ElementProblem]
    warnings: list[ElementProblem]


def validate_files(files: dict[str, bytes]) -> ValidationReport:
    """What deploying these files would say, without deploying: every error and warning."""
    check_file_names(files)
    try:
        compiled = bounded_compile(files, allow_non_executable=True)
    except XmlError as err:
        error = ElementProblem(None, err.line, f"{err.message} (column {err.column})" if err.column else err.message,
                               err.file)
        return ValidationReport(False, [], [error], [])
    except ModelProblems as err:
        return ValidationReport(False, [], err.problems, err.warnings)
    errors = timer_problems(compiled) + form_problems(files) + policy_problems(files)
    processes = [{"key": p.key, "name": p.name, "executable": p.executable} for p in compiled.processes]
    return ValidationReport(not errors, processes, errors, deployment_warnings(compiled, files))
