"""What a deployment is checked for besides the BPMN itself: file names, forms, handlers, timers, policies.

Errors stop the deployment; warnings are returned with it (and by POST /validate, from the same functions).
"""
from __future__ import annotations

import importlib

from bpmn.compiler import BPMN_SUFFIXES, DMN_SUFFIXES, Compilation
from bpmn.errors import ElementProblem
from bpmn.step_up import step_up_of
from engine.definitions.form_sources import files_named, unshown_form
from engine.errors import BadRequest, UnsafeModelFile
from engine.events.timer_starts import timer_start_problems
from engine.handlers.model_files import is_onnx, is_pickle, pickle_refusal
from engine.handlers.policy import check_policy_document
from engine.handlers.registry import find_handler
from engine.runtime.service_calls import handler_name
from forms.loader import load_form
from forms.model import FormError
from forms.resources import FORM_SUFFIXES


HANDLER_FILE_SUFFIXES = (".policy.json", ".onnx")
# Imported on first use, as the ai handler's providers are: onnx costs two of the five seconds every `fuse`
# command takes to start, and only a deployment that carries an .onnx file needs it.
ONNX_FILES = "engine.handlers.ai_onnx"
# Every kind of file a deployment may carry, by the end of its name (any case); the API's document lists them.
ACCEPTED_SUFFIXES = BPMN_SUFFIXES + DMN_SUFFIXES + FORM_SUFFIXES + HANDLER_FILE_SUFFIXES
# A file name is stored as a resource's name (and, without a `name`, as the deployment's): both columns hold 200.
MAX_FILE_NAME = 200
# Form files that stand alone (a .uischema.json only completes its .schema.json).
FORM_KINDS = {".form": "camunda-form", ".schema.json": "json-schema"}


def check_file_names(files: dict[str, bytes]) -> None:
    if not files:
        raise BadRequest("no files: send one or more 'file' parts")
    pickles = sorted(n for n in files if is_pickle(n))
    if pickles:
        raise UnsafeModelFile(pickle_refusal(pickles[0]), file=pickles[0])
    for name in sorted(n for n in files if is_onnx(n)):
        check_onnx_file(name, files[name])
    unknown = [n for n in files if not n.lower().endswith(ACCEPTED_SUFFIXES)]
    if unknown:
        raise BadRequest(f"unsupported file type: {', '.join(unknown)} (expected {', '.join(ACCEPTED_SUFFIXES)})")
    if not any(n.lower().endswith(BPMN_SUFFIXES) for n in files):
        raise BadRequest("a deployment needs at least one .bpmn file")
    if long := [n for n in files if len(n) > MAX_FILE_NAME]:
        raise BadRequest(f"file name {long[0][:40]}... is longer than {MAX_FILE_NAME} characters")


def check_onnx_file(name: str, content: bytes) -> None:
    """An ONNX model file must be ONNX and hold all its data itself (external data would be read from the server)."""
    try:
        external = importlib.import_module(ONNX_FILES).external_data_tensors(content)
    except ValueError:
        raise BadRequest(f"{name} is not an ONNX model file") from None
    if external:
        raise UnsafeModelFile(f"{name} reads tensors ({', '.join(external[:3])}) from files on the server: "
                              "save the model with its data embedded", file=name)


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
        for spec in all_task_specs(process):
            for names in files_named(getattr(spec, "extensions", None) or {}):
                if not any(name in files for name in names):
                    warnings.append(ElementProblem(spec.bpmn_id, None, f"form file {names[-1]} is not in this "
                                                   "deployment: the task runs without form checks",
                                                   process.resource_name))
    return warnings


def unshown_forms(compiled: Compilation) -> list[ElementProblem]:
    """A warning for every element whose form key names a form Fuse cannot show."""
    return [ElementProblem(spec.bpmn_id, None, reason, process.resource_name)
            for process in compiled.processes for spec in all_task_specs(process)
            if (reason := unshown_form(getattr(spec, "extensions", None) or {}))]


def unknown_handlers(compiled: Compilation) -> list[ElementProblem]:
    """A warning for each task bound to a handler name nobody registered (and not an external topic)."""
    warnings = []
    for process in compiled.processes:
        for spec in all_task_specs(process):
            handler = (getattr(spec, "extensions", None) or {}).get("handler")
            name, external = handler_name(handler) if handler else (None, True)
            if name and not external and find_handler(name) is None:
                warnings.append(ElementProblem(spec.bpmn_id, None, f"no handler is registered under the name "
                                               f"'{name}': the task will open an incident until one is",
                                               process.resource_name))
    return warnings


def all_task_specs(process):
    if process.spec is None:
        return []
    return [s for p in (process.spec, *process.subprocess_specs.values()) for s in p.task_specs.values()]


def timer_problems(compiled: Compilation) -> list[ElementProblem]:
    """Timer start events of executable processes that no schedule can be made of."""
    return [problem for process in compiled.processes if process.executable
            for problem in timer_start_problems(process.events, process.resource_name)]


def policy_problems(files: dict[str, bytes]) -> list[ElementProblem]:
    """Every problem of every policy file (JSON shape, rules that do not compile)."""
    return [ElementProblem(None, None, message, name) for name, content in sorted(files.items())
            if name.lower().endswith(".policy.json") for message in check_policy_document(content, name)]


def missing_step_up_policies(compiled: Compilation, files: dict[str, bytes]) -> list[ElementProblem]:
    """A warning for each user task whose fuse.stepUp.policy names a file that is not in the deployment:
    such a task fails closed (nobody can complete it), like Camunda deploying a model without its forms."""
    return [ElementProblem(spec.bpmn_id, None, f"fuse.stepUp.policy names {policy}, which is not in this "
                           "deployment: nobody can complete the task", process.resource_name)
            for process in compiled.processes for spec in all_task_specs(process)
            if (policy := step_up_of(getattr(spec, "extensions", None) or {}).policy) and policy not in files]


def deployment_warnings(compiled: Compilation, files: dict[str, bytes]) -> list[ElementProblem]:
    """Every warning of a deployment of these files; POST /validate reports the same list."""
    return (compiled.warnings + form_warnings(files) + missing_forms(compiled, files) + unshown_forms(compiled)
            + unknown_handlers(compiled) + missing_step_up_policies(compiled, files))
