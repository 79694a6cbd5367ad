"""From uploaded files to runnable SpiffWorkflow specs, or a list of every problem found."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from bpmn.call_binding import parse_spec_name, version_tag
from bpmn.checks import check_process, missing_decision_refs, unresolved_event_refs
from bpmn.compensation import CompensationCatalogue, attach_compensation, prepare_for_spiff
from bpmn.dmn_files import dmn_problems, readable_by_spiff
from bpmn.errors import CompileTimeout, ElementProblem, ModelProblems
from bpmn.event_scopes import element_index, prepare_event_scopes
from bpmn.extensions.camunda import candidate_starters
from bpmn.extensions.reader import extension_warnings
from bpmn.lenient import force_executable, make_runnable
from bpmn.limits import check_deadline
from bpmn.namespaces import BPMN_NS, bpmn, zeebe
from bpmn.parser import FuseParser
from bpmn.spiff_messages import in_words
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
    executable: bool = True
    events: dict = field(default_factory=dict)
    version_tag: str | None = None
    starters: dict | None = None  # camunda:candidateStarterUsers/Groups (see bpmn.extensions.camunda)


# Bumped whenever the same file compiles into specs that behave differently (2: Fuse-scheduled timer starts,
# compensation, scoped event sub-processes; 3: called processes found when the call starts, by binding, and
# event-based gateways that wait). It is part of a deployment's checksum, so deploying unchanged files after an
# upgrade makes new versions compiled the new way; running instances keep the definition they started with.
COMPILER_GENERATION = 3


def is_model_file(name: str) -> bool:
    return name.lower().endswith(BPMN_SUFFIXES + DMN_SUFFIXES)


def _correlation_paths(root: etree._Element) -> dict[str, str]:
    """BPMN correlation properties: message id -> the messagePath that retrieves its key. Fuse reads
    it as it reads a zeebe correlationKey, an expression over the waiting instance's variables
    whose value the message must carry (one property per message: the first one wins)."""
    paths: dict[str, str] = {}
    for retrieval in root.iter(bpmn("correlationPropertyRetrievalExpression")):
        path = retrieval.find(bpmn("messagePath"))
        if path is not None and (path.text or "").strip():
            paths.setdefault(retrieval.get("messageRef"), path.text.strip())
    return paths


def event_catalogue(root: etree._Element, process: etree._Element) -> dict:
    """Messages (with their correlation keys: Camunda 8 subscriptions or BPMN correlation properties) and the message/signal/timer starts of a process."""
    messages = {m.get("id"): m for m in root.iter(bpmn("message"))}
    signals = {s.get("id"): s.get("name") or s.get("id") for s in root.iter(bpmn("signal"))}
    catalogue: dict = {"messages": {}, "message_starts": [], "signal_starts": [], "timer_starts": []}
    paths = _correlation_paths(root)
    for message in messages.values():
        subscription = message.find(f".//{zeebe('subscription')}")
        key = subscription.get("correlationKey") if subscription is not None else paths.get(message.get("id"))
        catalogue["messages"][message.get("name") or message.get("id")] = {"correlation_key": key}
    for start in process.findall(bpmn("startEvent")):
        for definition in start.findall(bpmn("messageEventDefinition")):
            message = messages.get(definition.get("messageRef"))
            if message is not None:
                catalogue["message_starts"].append(message.get("name") or message.get("id"))
        for definition in start.findall(bpmn("signalEventDefinition")):
            if definition.get("signalRef") in signals:
                catalogue["signal_starts"].append(signals[definition.get("signalRef")])
        for definition in start.findall(bpmn("timerEventDefinition")):
            catalogue["timer_starts"].extend(_timer_start(start, definition))
    return catalogue


TIMER_KINDS = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}


def _timer_start(start: etree._Element, definition: etree._Element) -> list[dict]:
    """A timer start event as the engine schedules it: which start event, what kind, what expression."""
    for tag, kind in TIMER_KINDS.items():
        node = definition.find(bpmn(tag))
        if node is not None and (node.text or "").strip():
            return [{"activity_id": start.get("id"), "kind": kind, "expression": node.text.strip()}]
    return []


def activity_catalogue(process: etree._Element) -> dict:
    """element id -> {type, name} for every flow node of a process (sub-processes included); deciding
    and event-based gateways also list their "outgoing" flows."""
    catalogue = {}
    for node in process.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        tag = etree.QName(node).localname
        if tag in FLOW_NODE_TAGS and node.get("id"):
            catalogue[node.get("id")] = {"type": tag, "name": node.get("name")}
    _add_gateway_flows(process, catalogue)
    return catalogue


DECIDING_GATEWAYS = ("exclusiveGateway", "inclusiveGateway")
# Gateways whose history names the flow they took: by condition, or by the event that came first.
CHOOSING_GATEWAYS = (*DECIDING_GATEWAYS, "eventBasedGateway")


def _add_gateway_flows(process: etree._Element, catalogue: dict) -> None:
    """Deciding gateways list their outgoing flows: {"flow_id", "target", "condition"} (the history
    names the flows a gateway took; the default flow's condition is None, it is taken without one)."""
    defaults = {node.get("id"): node.get("default") for tag in CHOOSING_GATEWAYS for node in process.iter(bpmn(tag))}
    for flow in process.iter(bpmn("sequenceFlow")):
        source_id = flow.get("sourceRef")
        if source_id not in defaults or source_id not in catalogue:
            continue
        condition = flow.find(bpmn("conditionExpression"))
        text = (condition.text or "").strip() if condition is not None else None
        if flow.get("id") == defaults[source_id]:
            text = None
        catalogue[source_id].setdefault("outgoing", []).append(
            {"flow_id": flow.get("id"), "target": flow.get("targetRef"), "condition": text or None})


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


def _spiff_problem(err: Exception, lines: _Lines, file: str | None, scope: etree._Element) -> ElementProblem:
    """SpiffWorkflow's complaint about `scope` (a definitions or process element), pinned to the element it
    names, else to `scope`, and told without Python's text (spiff_messages). A deadline passed while
    SpiffWorkflow worked is no model problem: it goes on up, whatever the library wrapped it in."""
    if (timeout := _timeout_behind(err)) is not None:
        raise timeout
    element_id = getattr(err, "id", None) if isinstance(err, ValidationException) else None
    if not element_id:
        return ElementProblem(scope.get("id"), scope.sourceline, in_words(err), file)
    return lines.problem(element_id, in_words(err), getattr(err, "file_name", None) or file)


def _timeout_behind(err: BaseException | None) -> CompileTimeout | None:
    """The CompileTimeout `err` is or was raised from (SpiffWorkflow re-raises errors as its own)."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, CompileTimeout):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


@dataclass
class Compilation:
    """What a set of files holds: its processes (runnable or kept for viewing) and warnings."""

    processes: list[CompiledProcess]
    warnings: list[ElementProblem]


class _Compiler:
    """One compilation: collects problems and warnings across files, then builds specs."""

    def __init__(self, allow_non_executable: bool):
        self.allow_non_executable = allow_non_executable
        self.lines, self.parser = _Lines(), FuseParser()
        self.problems: list[ElementProblem] = []
        self.warnings: list[ElementProblem] = []
        self.processes: dict[str, tuple[str, etree._Element, bool]] = {}
        self.roots: dict[str, etree._Element] = {}
        self.compensation = CompensationCatalogue()
        self.checked: set[tuple[str, str | None]] = set()  # (file, element id) Fuse's own checks found at fault

    def add_dmn(self, name: str, root: etree._Element) -> None:
        if found := dmn_problems(root):
            self.problems.extend(ElementProblem(p.element_id, p.line, p.message, name) for p in found)
            return
        try:
            self.parser.add_dmn_xml(readable_by_spiff(root), filename=name)
        except Exception as err:  # noqa: BLE001 - reported as a model problem
            self.problems.append(_spiff_problem(err, self.lines, name, root))

    def add_bpmn(self, name: str, root: etree._Element) -> None:
        if root.tag != bpmn("definitions"):
            self.problems.append(ElementProblem(root.get("id"), root.sourceline,
                                                f"root element is {root.tag}, not bpmn:definitions", name))
            return
        self.warnings.extend(ElementProblem(a.element_id, a.line, a.message, name) for a in make_runnable(root))
        self.warnings.extend(extension_warnings(root, name))
        for process in root.iter(bpmn("process")):
            executable = process.get("isExecutable", "true") == "true"
            self.processes[process.get("id")] = (name, process, executable)
            self.roots[process.get("id")] = root
            found = check_process(process, name)
            self.checked.update((name, p.element_id) for p in found)
            (self.problems if executable else self.warnings).extend(_viewing(found, executable))
        # SpiffWorkflow crashes on these in any process of the file: it must not see the file at all.
        if unparseable := missing_decision_refs(root) + unresolved_event_refs(root):
            self.problems.extend(ElementProblem(p.element_id, p.line, p.message, name) for p in unparseable)
            return
        force_executable(root)  # parse non-executable processes too, for viewing and validation
        try:
            spiff_root, compensation = prepare_for_spiff(root)
            self.compensation.merge(compensation)
            self.parser.add_bpmn_xml(spiff_root, filename=name)
        except Exception as err:  # noqa: BLE001
            self.problems.append(_spiff_problem(err, self.lines, name, root))

    def finish(self) -> Compilation:
        runnable = [key for key, (_, _, executable) in self.processes.items() if executable]
        if not self.problems and not runnable and not self.allow_non_executable:
            self.problems.append(ElementProblem(
                next(iter(self.processes), None), None,
                "no executable process: mark a process isExecutable=\"true\" to run it, or deploy with "
                "allow_non_executable to keep it for viewing", None))
        compiled = [] if self.problems else [c for c in map(self._build, self.processes) if c]
        if self.problems:
            raise ModelProblems(self.problems, self.warnings)
        return Compilation(compiled, self.warnings)

    def _explained(self, found: ElementProblem) -> bool:
        """Whether Fuse's own checks already said what is wrong with this element (SpiffWorkflow, which
        stops at the first fault, would only say it less clearly)."""
        return found.element_id is not None and (found.file, found.element_id) in self.checked

    @cached_property
    def _elements(self) -> dict:
        return element_index({file: self.roots[key] for key, (file, _, _) in self.processes.items()})

    def _build(self, key: str) -> CompiledProcess | None:
        check_deadline()
        file, process, executable = self.processes[key]
        try:
            spec = self.parser.get_spec(key)
            # Called processes other than those bound to this deployment are found when the call starts.
            found = self.parser.get_subprocess_specs(key, require_call_activity_specs=False)
            subprocess_specs = {name: sub for name, sub in found.items() if sub is not None}
            if uncallable := self._uncallable(spec, subprocess_specs, [n for n, sub in found.items() if sub is None]):
                (self.problems if executable else self.warnings).extend(_viewing(uncallable, executable))
                return None
            attach_compensation(spec, subprocess_specs, self.parser, self.compensation)
            prepare_event_scopes(spec, subprocess_specs, self._elements)
        except Exception as err:  # noqa: BLE001
            found = _spiff_problem(err, self.lines, file, process)
            if executable:
                self.problems.append(found)
                return None
            if not self._explained(found):
                self.warnings.extend(_viewing([found], executable))
            spec, subprocess_specs = None, {}
        return CompiledProcess(key=key, name=process.get("name"), resource_name=file, spec=spec,
                               subprocess_specs=subprocess_specs, activities=activity_catalogue(process),
                               executable=executable, events=event_catalogue(self.roots[key], process),
                               version_tag=version_tag(process), starters=candidate_starters(process))

    def _uncallable(self, spec, subprocess_specs: dict, missing: list[str]) -> list[ElementProblem]:
        """Call activities bound to this deployment whose process it does not hold (named by call activity)."""
        missing = [name for name in missing if parse_spec_name(name) is None]
        return [self.lines.problem(task_spec.bpmn_id, f"calls process '{task_spec.spec}' from its own deployment "
                                   "(calledElementBinding/bindingType deployment), but no process of this "
                                   "deployment has that id")
                for process in (spec, *subprocess_specs.values()) for task_spec in process.task_specs.values()
                if isinstance(task_spec, SubWorkflowTask) and task_spec.spec in missing]


def _viewing(found: list[ElementProblem], executable: bool) -> list[ElementProblem]:
    """Problems of a non-executable process are warnings: it is kept for viewing, never run as is."""
    if executable:
        return found
    return [ElementProblem(p.element_id, p.line, f"(process not executable) {p.message}", p.file) for p in found]


def compile_models(files: dict[str, bytes], allow_non_executable: bool = False) -> Compilation:
    """Parse and check BPMN (and DMN) files: every process, with its spec where it can run.

    Raises XmlError for unreadable XML and ModelProblems listing every element at fault.
    Non-executable processes are compiled for viewing; their problems are warnings.
    """
    trees = {name: read_xml(data, name) for name, data in files.items() if is_model_file(name)}
    compiler = _Compiler(allow_non_executable)
    for name, root in trees.items():
        check_deadline()
        compiler.lines.add(root, name)
        if name.lower().endswith(DMN_SUFFIXES):
            compiler.add_dmn(name, root)
        else:
            compiler.add_bpmn(name, root)
    return compiler.finish()
