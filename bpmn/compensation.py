"""Compensation, read from the XML: which handler undoes which activity, and the processes handlers run as.

SpiffWorkflow 3.2 parses no compensation, so Fuse rewrites a copy of the file before SpiffWorkflow sees it:
- a compensation boundary event and its association are removed, and the handler it names (an activity with
  isForCompensation="true") moves into a process of its own, `<handler>__compensation`: start -> handler -> end;
- a compensation event sub-process (inside a sub-process) moves into a process of its own too, its compensation
  start event made a plain one;
- compensation throw and end events, and cancel end events, stay: bpmn.compensation_specs parses them into
  Fuse's specs, which the engine runs (engine.runtime.compensation).
What moved is kept in a CompensationCatalogue; attach_compensation then adds the handler processes to the
specs a process runs with and writes on every process spec which of its activities are compensable:
`spec.compensation = {"activities": {activity id: {"handler", "spec", "inner"}}}` (`handler`: the BPMN id of
the handler activity or event sub-process, `spec`: the process that runs it, `inner`: a sub-process whose
own completed activities are compensated when it has no handler).
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from bpmn.namespaces import bpmn

HANDLER_SUFFIX = "__compensation"
SUB_PROCESS_TAGS = ("subProcess", "transaction", "adHocSubProcess")
FLOW_REFS = (bpmn("incoming"), bpmn("outgoing"))


def has_compensation(node: etree._Element) -> bool:
    """Whether an event carries a compensateEventDefinition."""
    return node.find(bpmn("compensateEventDefinition")) is not None


def is_handler(node: etree._Element) -> bool:
    """Whether an activity is a compensation handler (it runs only to undo another one)."""
    return node.get("isForCompensation") == "true"


def uses_compensation(root: etree._Element) -> bool:
    """Whether a document has anything to do with compensation (else it is parsed as it is)."""
    return next(root.iter(bpmn("compensateEventDefinition")), None) is not None or any(
        is_handler(node) for node in root.iter() if isinstance(node.tag, str))


def compensation_boundaries(root: etree._Element) -> list[etree._Element]:
    """Boundary events that name the handler of the activity they are attached to."""
    return [node for node in root.iter(bpmn("boundaryEvent")) if has_compensation(node)]


def compensation_event_subprocesses(root: etree._Element) -> list[etree._Element]:
    """Event sub-processes started by a compensation start event."""
    return [node for node in root.iter(bpmn("subProcess")) if node.get("triggeredByEvent") == "true"
            and any(has_compensation(start) for start in node.findall(bpmn("startEvent")))]


def associations_by_end(root: etree._Element) -> dict[str, list[etree._Element]]:
    """Every association of the document under the id of each of its two ends (looked up, never scanned,
    per boundary event: a scan each made checking quadratic in the model)."""
    found: dict[str, list[etree._Element]] = {}
    for association in root.iter(bpmn("association")):
        for end in {association.get("sourceRef"), association.get("targetRef")}:
            found.setdefault(end, []).append(association)
    return found


def associated_handlers(boundary: etree._Element, by_id: dict, associations: dict) -> list[etree._Element]:
    """The handler activities a compensation boundary event is associated with (either direction);
    `associations` is associations_by_end() of its document."""
    own_id, found = boundary.get("id"), []
    for association in associations.get(own_id, ()):
        ends = (association.get("sourceRef"), association.get("targetRef"))
        other = by_id.get(ends[1] if ends[0] == own_id else ends[0])
        if other is not None and is_handler(other):
            found.append(other)
    return found


@dataclass
class CompensationCatalogue:
    """What the rewrite moved, for attach_compensation (ids are element ids of the deployed files)."""

    handlers: dict[str, dict[str, dict]] = field(default_factory=dict)  # scope -> activity -> handler
    event_subprocesses: dict[str, dict] = field(default_factory=dict)  # sub-process -> its handler
    embedded: set[str] = field(default_factory=set)  # embedded sub-processes (not call activities)
    synthetic: set[str] = field(default_factory=set)  # start/end events Fuse added around handlers

    def merge(self, other: "CompensationCatalogue") -> None:
        for scope, entries in other.handlers.items():
            self.handlers.setdefault(scope, {}).update(entries)
        self.event_subprocesses.update(other.event_subprocesses)
        self.embedded |= other.embedded
        self.synthetic |= other.synthetic

    def handler_specs(self, scopes) -> list[str]:
        """The handler processes that the activities of these scopes may need."""
        boundary = [entry["spec"] for scope in scopes for entry in self.handlers.get(scope, {}).values()]
        return boundary + [self.event_subprocesses[s]["spec"] for s in scopes if s in self.event_subprocesses]


def prepare_for_spiff(root: etree._Element) -> tuple[etree._Element, CompensationCatalogue]:
    """The document SpiffWorkflow should parse (a rewritten copy when compensation is used, else
    `root` itself) and what the rewrite moved. Run after Fuse's checks: they vouch for the shape."""
    catalogue = CompensationCatalogue()
    if not uses_compensation(root):
        return root, catalogue
    copy = deepcopy(root)
    by_id = {node.get("id"): node for node in copy.iter() if isinstance(node.tag, str) and node.get("id")}
    associations = associations_by_end(copy)
    for boundary in compensation_boundaries(copy):
        scope = boundary.getparent().get("id")
        for handler in associated_handlers(boundary, by_id, associations):
            name = handler.get("id") + HANDLER_SUFFIX
            catalogue.handlers.setdefault(scope, {})[boundary.get("attachedToRef")] = {
                "handler": handler.get("id"), "spec": name}
            if handler.getparent().get("id") != name:  # one handler may serve several activities
                _handler_process(copy, handler, name, catalogue)
        _drop_associations(associations.get(boundary.get("id"), ()))
        boundary.getparent().remove(boundary)
    for event_subprocess in compensation_event_subprocesses(copy):
        name = event_subprocess.get("id") + HANDLER_SUFFIX
        catalogue.event_subprocesses[event_subprocess.getparent().get("id")] = {
            "handler": event_subprocess.get("id"), "spec": name}
        if event_subprocess.get("id") in catalogue.handlers:  # handlers inside it belong to its new process
            catalogue.handlers[name] = catalogue.handlers.pop(event_subprocess.get("id"))
        _event_subprocess_process(copy, event_subprocess, name)
    catalogue.embedded = {node.get("id") for node in copy.iter(*(bpmn(tag) for tag in SUB_PROCESS_TAGS))
                          if node.get("triggeredByEvent") != "true"}
    return copy, catalogue


def _new_process(root: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(root, bpmn("process"), id=name, isExecutable="true")


def _handler_process(root: etree._Element, handler: etree._Element, name: str,
                     catalogue: CompensationCatalogue) -> None:
    """start -> handler -> end, in a process of its own."""
    handler.getparent().remove(handler)
    for ref in [child for child in handler if child.tag in FLOW_REFS]:
        handler.remove(ref)
    process = _new_process(root, name)
    start, end = f"{name}_start", f"{name}_end"
    etree.SubElement(process, bpmn("startEvent"), id=start)
    process.append(handler)
    etree.SubElement(process, bpmn("endEvent"), id=end)
    etree.SubElement(process, bpmn("sequenceFlow"), id=f"{name}_in", sourceRef=start, targetRef=handler.get("id"))
    etree.SubElement(process, bpmn("sequenceFlow"), id=f"{name}_out", sourceRef=handler.get("id"), targetRef=end)
    catalogue.synthetic |= {start, end}


def _event_subprocess_process(root: etree._Element, event_subprocess: etree._Element, name: str) -> None:
    """The event sub-process's content, in a process of its own, started by a plain start event."""
    event_subprocess.getparent().remove(event_subprocess)
    process = _new_process(root, name)
    for child in list(event_subprocess):
        if child.tag in FLOW_REFS or child.tag == bpmn("multiInstanceLoopCharacteristics"):
            continue
        if child.tag == bpmn("startEvent"):
            for definition in child.findall(bpmn("compensateEventDefinition")):
                child.remove(definition)
        process.append(child)


def _drop_associations(associations) -> None:
    for association in associations:
        if (parent := association.getparent()) is not None:  # not dropped already, from its other end
            parent.remove(association)


def attach_compensation(spec, subprocess_specs: dict, parser, catalogue: CompensationCatalogue) -> None:
    """Add the handler processes `spec` may need to `subprocess_specs` (in place) and write each
    process spec's compensable activities (see the module docstring)."""
    if not (catalogue.handlers or catalogue.event_subprocesses):
        return
    while missing := [name for name in catalogue.handler_specs({spec.name, *subprocess_specs})
                      if name not in subprocess_specs]:
        for name in missing:
            subprocess_specs[name] = parser.get_spec(name)
            subprocess_specs.update({called: sub for called, sub in parser.get_subprocess_specs(
                name, require_call_activity_specs=False).items() if sub is not None})
    specs = {spec.name: spec, **subprocess_specs}
    for process in specs.values():
        for task_spec in process.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) in catalogue.synthetic:
                task_spec.bpmn_id = None  # Fuse's own start and end around a handler: no history of their own
        activities = _compensable(process.name, specs, catalogue)
        process.compensation = {"activities": activities} if activities else None


def _compensable(scope: str, specs: dict, catalogue: CompensationCatalogue) -> dict:
    """activity id -> {"handler", "spec", "inner"} for the compensable activities of one scope."""
    found = {activity: {**entry, "inner": False} for activity, entry in catalogue.handlers.get(scope, {}).items()}
    for task_spec in specs[scope].task_specs.values():
        inner = getattr(task_spec, "spec", None) if isinstance(task_spec, SubWorkflowTask) else None
        if inner not in catalogue.embedded or inner not in specs:
            continue
        if inner in catalogue.event_subprocesses or _compensable(inner, specs, catalogue):
            entry = found.setdefault(task_spec.bpmn_id, {**catalogue.event_subprocesses.get(
                inner, {"handler": None, "spec": None}), "inner": False})
            entry["inner"] = True
    return found
