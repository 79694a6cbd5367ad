"""From uploaded files to runnable SpiffWorkflow specs, or a list of every problem found."""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from bpmn.checks import BPMN_NS, bpmn, check_process, missing_decision_refs
from bpmn.errors import ElementProblem, ModelProblems
from bpmn.parser import FuseParser
from bpmn.xml_reader import read_xml

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml", ".bpmn2")
DMN_SUFFIXES = (".dmn", ".dmn11.xml")
FLOW_NODE_TAGS = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "subProcess", "callActivity", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}


@dataclass
class CompiledProcess:
    """One executable process of a deployment, ready to be stored and run."""

    key: str
    name: str | None
    resource_name: str
    spec: object
    subprocess_specs: dict
    activities: dict = field(default_factory=dict)


def is_model_file(name: str) -> bool:
    return name.lower().endswith(BPMN_SUFFIXES + DMN_SUFFIXES)


def activity_catalogue(process: etree._Element) -> dict:
    """element id -> {type, name} for every flow node of a process (sub-processes included)."""
    catalogue = {}
    for node in process.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        tag = etree.QName(node).localname
        if tag in FLOW_NODE_TAGS and node.get("id"):
            catalogue[node.get("id")] = {"type": tag, "name": node.get("name")}
    return catalogue


class _Lines:
    """Finds the file and line of an element id, for SpiffWorkflow's errors (which lack lines)."""

    def __init__(self):
        self.where: dict[str, tuple[str, int]] = {}

    def add(self, root: etree._Element, file: str):
        for node in root.iter():
            if isinstance(node.tag, str) and node.get("id"):
                self.where.setdefault(node.get("id"), (file, node.sourceline))

    def problem(self, element_id: str | None, message: str, file: str | None = None) -> ElementProblem:
        found_file, line = self.where.get(element_id or "", (file, None))
        return ElementProblem(element_id or None, line, message, file or found_file)


def _spiff_problem(err: Exception, lines: _Lines, file: str | None, fallback_id: str | None) -> ElementProblem:
    if isinstance(err, ValidationException):
        message = str(err.args[0]) if err.args else str(err)
        return lines.problem(getattr(err, "id", None) or fallback_id, message, getattr(err, "file_name", None) or file)
    # SpiffWorkflow sometimes fails with a plain TypeError/KeyError; report it without a trace.
    return lines.problem(fallback_id, f"cannot parse: {type(err).__name__}: {err}", file)


def compile_models(files: dict[str, bytes]) -> list[CompiledProcess]:
    """Parse and check BPMN (and DMN) files; return each executable process.

    Raises XmlError for unreadable XML and ModelProblems listing every element at fault.
    """
    trees = {name: read_xml(data, name) for name, data in files.items() if is_model_file(name)}
    lines, problems, parser = _Lines(), [], FuseParser()
    executable: dict[str, tuple[str, etree._Element]] = {}
    for name, root in trees.items():
        lines.add(root, name)
        if name.lower().endswith(DMN_SUFFIXES):
            try:
                parser.add_dmn_xml(root, filename=name)
            except Exception as err:  # noqa: BLE001 - reported as a model problem
                problems.append(_spiff_problem(err, lines, name, None))
            continue
        if root.tag != bpmn("definitions"):
            problems.append(ElementProblem(root.get("id"), root.sourceline,
                                           f"root element is {root.tag}, not bpmn:definitions", name))
            continue
        for process in root.iter(bpmn("process")):
            if process.get("isExecutable", "true") == "true":
                executable[process.get("id")] = (name, process)
                problems.extend(check_process(process, name))
        if undecided := missing_decision_refs(root):
            problems.extend(ElementProblem(p.element_id, p.line, p.message, name) for p in undecided)
            continue
        try:
            parser.add_bpmn_xml(root, filename=name)
        except Exception as err:  # noqa: BLE001
            problems.append(_spiff_problem(err, lines, name, None))
    if not problems and not executable:
        problems.append(ElementProblem(None, None, "no executable process: mark a process "
                                       "isExecutable=\"true\" to deploy it", next(iter(trees), None)))
    compiled = [] if problems else _build_specs(parser, executable, lines, problems)
    if problems:
        raise ModelProblems(problems)
    return compiled


def _build_specs(parser, executable, lines, problems) -> list[CompiledProcess]:
    compiled = []
    for key, (file, process) in executable.items():
        try:
            spec = parser.get_spec(key)
            subprocess_specs = parser.get_subprocess_specs(key)
        except Exception as err:  # noqa: BLE001
            problems.append(_spiff_problem(err, lines, file, key))
            continue
        compiled.append(CompiledProcess(
            key=key, name=process.get("name"), resource_name=file, spec=spec,
            subprocess_specs=subprocess_specs, activities=activity_catalogue(process)))
    return compiled
