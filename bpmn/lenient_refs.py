"""References SpiffWorkflow 3.2 cannot follow as they are written: prefixed (QName) ones, and error
references that name no bpmn:error.

BPMN types most references as xsd:QName, so `messageRef="tns:invoice"` is as valid as
`messageRef="invoice"`; SpiffWorkflow compares the text with ids verbatim and fails ("Expected 1
result"). The prefix is dropped when what follows it is the id of an element of the same file, unless the
prefix names a namespace the file imports (the reference then points into another file). Valid BPMN
changes nothing the modeller wrote, so it is not reported.

Camunda reads an errorRef that names no bpmn:error as the error code itself; SpiffWorkflow crashes on it.
A bpmn:error with that id and code is added (and reported). References of other kinds that name nothing
are problems (bpmn.checks.unresolved_refs).
"""
from __future__ import annotations

from lxml import etree

from bpmn.lenient_xml import Adjustment, document_ids, label, local
from bpmn.namespaces import BPMN_NS, bpmn

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
# Attributes (unqualified) and child elements that hold a reference: the xsd:QName ones of BPMN 2.0's
# schema, and the IDREF ones, which no tool should prefix but which cost nothing to accept.
REFERENCE_ATTRIBUTES = frozenset({
    "messageRef", "errorRef", "signalRef", "escalationRef", "operationRef", "processRef", "attachedToRef",
    "calledElement", "dataStoreRef", "dataObjectRef", "itemSubjectRef", "structureRef", "sourceRef", "targetRef",
    "default", "implementationRef", "inMessageRef", "outMessageRef", "definitionalCollaborationRef",
    "evaluatesToTypeRef", "parameterRef", "partitionElementRef", "activityRef", "correlationKeyRef",
    "bpmnElement", "sourceElement", "targetElement",
})
REFERENCE_ELEMENTS = frozenset({
    "incoming", "outgoing", "sourceRef", "targetRef", "flowNodeRef", "dataInputRefs", "dataOutputRefs",
    "optionalInputRefs", "optionalOutputRefs", "whileExecutingInputRefs", "whileExecutingOutputRefs",
    "inputSetRefs", "outputSetRefs", "loopDataInputRef", "loopDataOutputRef", "correlationPropertyRef",
    "eventDefinitionRef", "supportedInterfaceRef", "categoryValueRef", "source", "target",
})


def resolve_qname_refs(root: etree._Element) -> None:
    """Rewrite every prefixed reference to an element of this file as that element's plain id."""
    ids = document_ids(root)
    imported = {node.get("namespace") for node in root.iter(bpmn("import"))} - {root.get("targetNamespace")}
    for node in root.iter():
        if not isinstance(node.tag, str) or etree.QName(node).namespace not in (BPMN_NS, BPMNDI_NS):
            continue
        for name in REFERENCE_ATTRIBUTES.intersection(node.attrib):
            node.set(name, _plain_id(node, node.get(name), ids, imported))
        if local(node) in REFERENCE_ELEMENTS and node.text:
            node.text = _plain_id(node, node.text, ids, imported)


def _plain_id(node: etree._Element, reference: str, ids: set[str], imported: set[str]) -> str:
    prefix, colon, name = reference.strip().partition(":")
    namespace = node.nsmap.get(prefix)  # None for an undeclared prefix: read leniently as this file's
    if not colon or name not in ids or (namespace is not None and namespace in imported):
        return reference
    return name


def undeclared_errors(root: etree._Element) -> list[Adjustment]:
    """Add a bpmn:error for every errorRef that names nothing, its code being the reference (Camunda's reading)."""
    ids, added = document_ids(root), []
    for definition in root.iter(bpmn("errorEventDefinition")):
        reference = (definition.get("errorRef") or "").strip()
        if not reference or reference in ids:
            continue  # an errorRef naming an element that is no bpmn:error is a problem (bpmn.checks)
        error = etree.Element(bpmn("error"), id=reference, name=reference, errorCode=reference)
        root.insert(_first_root_element(root), error)
        ids.add(reference)
        event = definition.getparent()
        added.append(Adjustment(event.get("id"), definition.sourceline, (
            f"'{label(event)}' refers to error '{reference}', which no bpmn:error declares: read as the error code "
            f"'{reference}', as Camunda does")))
    return added


def _first_root_element(root: etree._Element) -> int:
    """Where a new root element goes: after the imports and extensions the schema puts first."""
    position = 0
    for index, child in enumerate(root):
        if local(child) in ("import", "extension", "documentation") or not isinstance(child.tag, str):
            position = index + 1
        else:
            break
    return position
