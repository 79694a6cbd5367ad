"""Small XML helpers shared by the lenient rewrites (bpmn/lenient.py): scopes, flows, new elements."""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from bpmn.namespaces import BPMN_NS, bpmn

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
SCOPE_TAGS = ("process", "subProcess", "transaction", "adHocSubProcess")
FLOW_NODE_TAGS = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "subProcess", "callActivity", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
# Children a flow node may have before its incoming/outgoing refs (BPMN XSD order).
_BEFORE_REFS = {"documentation", "extensionElements", "auditing", "monitoring", "categoryValueRef"}


@dataclass(frozen=True)
class Adjustment:
    """One rewrite make_runnable made: on which element (and its line in the file), and why."""

    element_id: str | None
    line: int | None
    message: str


def local(node: etree._Element) -> str | None:
    """The BPMN local name of an element, or None for comments and foreign elements."""
    if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
        return None
    return node.tag[len(BPMN_NS) + 2:]


def label(node: etree._Element) -> str:
    """How messages name an element: its name (on one line) or else its id."""
    name = " ".join((node.get("name") or "").split())
    return name or node.get("id") or local(node) or "?"


def adjustment(node: etree._Element, message: str) -> Adjustment:
    """An Adjustment about `node`, pinned to the line it came from."""
    return Adjustment(node.get("id"), node.sourceline, message)


def scopes(root: etree._Element) -> list[etree._Element]:
    """Every process and sub-process of the document, outer before inner (listed before rewriting)."""
    return list(root.iter(*(bpmn(tag) for tag in SCOPE_TAGS)))


def is_event_subprocess(node: etree._Element) -> bool:
    """Whether `node` is an event sub-process (started by its own event, never by a flow)."""
    return local(node) == "subProcess" and node.get("triggeredByEvent") == "true"


def has_event_definition(node: etree._Element, kind: str) -> bool:
    """Whether an event has a `<kind>EventDefinition` child, e.g. kind="link"."""
    return node.find(bpmn(f"{kind}EventDefinition")) is not None


class Scope:
    """The flow nodes and sequence flows directly inside one process or sub-process.

    Flows are indexed by source and target, and nodes by id, so each question a rewrite asks costs the
    same however large the model is (a scan per node made compiling quadratic in the model's size).
    """

    def __init__(self, element: etree._Element, ids: set[str]):
        self.element, self.ids = element, ids
        # A node without an id cannot be the end of a flow, so it is left out of every rewrite.
        self.nodes = [child for child in element if local(child) in FLOW_NODE_TAGS and child.get("id")]
        self.flows = [child for child in element if local(child) == "sequenceFlow"]
        self._by_id = {node.get("id"): node for node in self.nodes}
        self._outgoing: dict[str, list[etree._Element]] = {}
        self._incoming: dict[str, list[etree._Element]] = {}
        for flow in self.flows:
            self._index_flow(flow)
        self._lane_refs: dict[str, etree._Element] | None = None

    def _index_flow(self, flow: etree._Element) -> None:
        self._outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        self._incoming.setdefault(flow.get("targetRef"), []).append(flow)

    def outgoing(self, node: etree._Element) -> list[etree._Element]:
        return list(self._outgoing.get(node.get("id"), ()))

    def incoming(self, node: etree._Element) -> list[etree._Element]:
        return list(self._incoming.get(node.get("id"), ()))

    def new_id(self, wanted: str) -> str:
        """`wanted`, or `wanted_2`, `wanted_3`... whichever is free in the document."""
        candidate, number = wanted, 1
        while candidate in self.ids:
            number += 1
            candidate = f"{wanted}_{number}"
        self.ids.add(candidate)
        return candidate

    def new_node(self, tag: str, wanted_id: str, after: etree._Element | None = None,
                 **attributes: str) -> etree._Element:
        """A new flow node placed after `after` (or before the first flow node) so it stays among
        the flow elements, where the XSD wants it."""
        node = etree.Element(bpmn(tag), id=self.new_id(wanted_id), **attributes)
        anchor = after if after is not None else (self.nodes[0] if self.nodes else None)
        if anchor is None:
            self.element.append(node)
        elif after is not None:
            anchor.addnext(node)
            node.tail = anchor.tail
        else:
            anchor.addprevious(node)
            node.tail = anchor.tail
        self.nodes.append(node)
        self._by_id[node.get("id")] = node
        return node

    def new_flow(self, source: etree._Element, target: etree._Element, wanted_id: str) -> etree._Element:
        """A sequence flow from source to target, with the nodes' incoming/outgoing refs kept in step
        (SpiffWorkflow's ad hoc sub-processes start every node that lists no incoming ref)."""
        flow = etree.Element(bpmn("sequenceFlow"), id=self.new_id(wanted_id),
                             sourceRef=source.get("id"), targetRef=target.get("id"))
        anchor = self.flows[-1] if self.flows else self.nodes[-1]
        anchor.addnext(flow)
        flow.tail = anchor.tail
        self.flows.append(flow)
        self._index_flow(flow)
        add_ref(source, "outgoing", flow.get("id"))
        add_ref(target, "incoming", flow.get("id"))
        return flow

    def move_source(self, flow: etree._Element, new_source: etree._Element) -> None:
        """Make `flow` leave from `new_source` instead of its current source."""
        old_id = flow.get("sourceRef")
        old_source = self._by_id.get(old_id)
        if old_source is not None:
            remove_ref(old_source, "outgoing", flow.get("id"))
        if flow in self._outgoing.get(old_id, ()):
            self._outgoing[old_id].remove(flow)
        flow.set("sourceRef", new_source.get("id"))
        self._outgoing.setdefault(new_source.get("id"), []).append(flow)
        add_ref(new_source, "outgoing", flow.get("id"))

    def add_to_lane_of(self, node: etree._Element, new_node: etree._Element) -> None:
        """Put `new_node` in the lane that holds `node`, so lane-based views stay complete."""
        if self._lane_refs is None:  # indexed once, on first use: most scopes never need it
            self._lane_refs = {}
            for ref in self.element.iter(bpmn("flowNodeRef")):
                self._lane_refs.setdefault((ref.text or "").strip(), ref)
        ref = self._lane_refs.get(node.get("id"))
        if ref is not None:
            new_ref = etree.Element(bpmn("flowNodeRef"))
            new_ref.text = new_node.get("id")
            ref.addnext(new_ref)
            new_ref.tail = ref.tail
            self._lane_refs[new_ref.text] = new_ref


def add_ref(node: etree._Element, kind: str, flow_id: str) -> None:
    """Add <incoming>/<outgoing> flow_id to a flow node, in the position the XSD expects."""
    ref = etree.Element(bpmn(kind))
    ref.text = flow_id
    children = list(node)
    position = 0
    for index, child in enumerate(children):
        name = local(child)
        if name in _BEFORE_REFS or name == "incoming" or (kind == "outgoing" and name == "outgoing"):
            position = index + 1
    node.insert(position, ref)


def remove_ref(node: etree._Element, kind: str, flow_id: str) -> None:
    """Remove the <incoming>/<outgoing> refs to flow_id from a flow node."""
    for ref in node.findall(bpmn(kind)):
        if (ref.text or "").strip() == flow_id:
            node.remove(ref)


def condition(flow: etree._Element) -> str | None:
    """The flow's condition text, or None when it has none (an empty expression counts as none)."""
    expression = flow.find(bpmn("conditionExpression"))
    if expression is None or not (expression.text or "").strip():
        return None
    return expression.text


def set_condition(flow: etree._Element, text: str) -> None:
    """Give a flow the (Python) condition `text`, replacing an empty expression if there is one."""
    expression = flow.find(bpmn("conditionExpression"))
    if expression is None:
        expression = etree.SubElement(flow, bpmn("conditionExpression"))
        # xsi:type is a QName: use whatever prefix this document gives the BPMN namespace.
        prefix = next((p for p, uri in flow.nsmap.items() if uri == BPMN_NS), None)
        expression.set(XSI_TYPE, f"{prefix}:tFormalExpression" if prefix else "tFormalExpression")
    expression.text = text


def document_ids(root: etree._Element) -> set[str]:
    """Every id in the document, so that new elements get fresh ones."""
    return {node.get("id") for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
