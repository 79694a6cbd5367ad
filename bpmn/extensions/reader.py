"""All extensions of an element in one dict, and warnings for those Fuse does not honour."""
from __future__ import annotations

from lxml import etree

from bpmn.errors import ElementProblem
from bpmn.extensions.camunda import read_camunda
from bpmn.namespaces import CAMUNDA_NS, SPIFF_NS, ZEEBE_NS, bpmn
from bpmn.extensions.zeebe import read_zeebe

# Honoured: they change what runs. Harmless: about other products' tooling; silently accepted.
HONOURED_ATTRIBUTES = {
    "assignee", "candidateUsers", "candidateGroups", "dueDate", "followUpDate", "priority", "formKey",
    "formRef", "formRefBinding", "formRefVersion", "collection", "elementVariable", "decisionRef",
    "initiator", "resultVariable", "calledElementBinding", "calledElementVersion", "calledElementVersionTag",
    "versionTag", "mapDecisionResult", "asyncBefore", "asyncAfter", "candidateStarterGroups",
    "candidateStarterUsers",
    "async", "class", "expression", "delegateExpression", "type", "topic",
    "errorCodeVariable", "errorMessageVariable", "escalationCodeVariable", "errorMessage",
}
HARMLESS_ATTRIBUTES = {"historyTimeToLive", "isStartableInTasklist", "jobPriority", "taskPriority", "exclusive"}
NOT_YET = {
    "decisionRefBinding": "is ignored: the decision deployed with the model is used",
    "decisionRefVersion": "is ignored: the decision deployed with the model is used",
}
HONOURED_ELEMENTS = {
    f"{{{CAMUNDA_NS}}}{t}" for t in ("properties", "property", "inputOutput", "inputParameter",
                                      "outputParameter", "list", "map", "entry", "value", "script",
                                      "formData", "formField", "validation", "constraint", "in", "out",
                                      "failedJobRetryTimeCycle")
} | {f"{{{SPIFF_NS}}}{t}" for t in ("properties", "property")
} | {f"{{{ZEEBE_NS}}}{t}" for t in ("ioMapping", "input", "output", "userTask", "assignmentDefinition",
                                     "taskSchedule", "formDefinition", "calledElement", "script",
                                     "properties", "property", "priorityDefinition", "calledDecision",
                                     "loopCharacteristics", "taskDefinition", "taskHeaders", "header",
                                     "userTaskForm", "subscription", "versionTag")}
NOT_YET_ELEMENTS = {
}


def read_extensions(node: etree._Element) -> dict:
    """The element's camunda: and zeebe: extensions as one dict (see bpmn.extensions)."""
    dct = read_camunda(node)
    for key, value in read_zeebe(node).items():
        if isinstance(value, dict) and isinstance(dct.get(key), dict):
            dct[key] = {**dct[key], **value}
        else:
            dct[key] = value
    return dct


def _short(tag: str) -> str:
    return tag.replace(f"{{{CAMUNDA_NS}}}", "camunda:").replace(f"{{{ZEEBE_NS}}}", "zeebe:")


def _owner(node: etree._Element) -> etree._Element:
    """The nearest BPMN element with an id: the element a (nested) extension belongs to."""
    while node is not None and (node.get("id") is None or not node.tag.startswith(bpmn(""))):
        node = node.getparent()
    return node


def extension_warnings(root: etree._Element, file: str | None = None) -> list[ElementProblem]:
    """A warning for every camunda:/zeebe: attribute or element Fuse does not (fully) honour."""
    warnings = []

    def warn(node, message):
        owner = _owner(node)
        element_id = owner.get("id") if owner is not None else None
        warnings.append(ElementProblem(element_id, node.sourceline, message, file))

    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for name in node.attrib:
            if not name.startswith(f"{{{CAMUNDA_NS}}}"):
                continue
            local = name.split("}")[1]
            if local in HONOURED_ATTRIBUTES or local in HARMLESS_ATTRIBUTES:
                continue
            reason = NOT_YET.get(local, "is not supported and is ignored")
            warn(node, f"camunda:{local} {reason}")
        if node.tag.startswith((f"{{{CAMUNDA_NS}}}", f"{{{ZEEBE_NS}}}")) and node.tag not in HONOURED_ELEMENTS:
            if node.tag in NOT_YET_ELEMENTS:
                if NOT_YET_ELEMENTS[node.tag]:
                    warn(node, f"{_short(node.tag)} {NOT_YET_ELEMENTS[node.tag]}")
            else:
                warn(node, f"{_short(node.tag)} is not supported and is ignored")
    return warnings
