"""Parsing a process's flow graph with a work queue instead of recursion.

SpiffWorkflow's TaskParser.parse_node parses a node's targets from inside its own call before it connects
them, so a chain of N tasks is N nested Python calls: past ~480 tasks it fails with RecursionError, and a
deeper stack can crash the interpreter outright. Here each node is parsed without its outgoing flows (the
process parser hides them) and put on a queue; the queue is then drained in a loop, each node parsing its
targets the same shallow way and connecting to them exactly as TaskParser.parse_node would (same target
lookup, same top-to-bottom order, same default flow). Stack depth no longer depends on the model.
"""
from __future__ import annotations

from collections import deque

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway

from bpmn.limits import check_deadline


class QueuedFlowMixin:
    """For process parsers: nodes are parsed one at a time and connected from a queue, never recursively."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._unconnected: deque = deque()
        self._connecting = False

    def get_outgoing_sequence_flows(self, source_ref):
        """Empty for TaskParser.parse_node, the library's only caller: it would parse the targets recursively.
        The flows are connected from the queue (_connect), which reads the parser's index itself."""
        return []

    def parse_without_recursion(self, node_parser):
        """Parse one node (its boundary events too) and return its spec; its flows, and those of every node
        they reach, are connected before the outermost call returns."""
        spec = node_parser.parse_node()
        self._unconnected.append(node_parser)
        if not self._connecting:
            self._connecting = True
            try:
                while self._unconnected:
                    check_deadline()
                    _connect(self, self._unconnected.popleft())
            finally:
                self._connecting = False
        return spec


def _connect(process_parser, node_parser) -> None:
    """The second half of SpiffWorkflow's TaskParser.parse_node, for a node parsed without its flows."""
    try:
        _connect_flows(process_parser, node_parser)
    except ValidationException:
        raise
    except Exception as ex:  # noqa: BLE001 - reported as the library reports it, pinned to the node
        raise ValidationException("%r" % (ex,), node=node_parser.node, file_name=node_parser.filename) from ex


def _connect_flows(process_parser, node_parser) -> None:
    outgoing = process_parser.outgoing_sequence_flows.get(node_parser.bpmn_id, [])
    if len(outgoing) > 1 and not node_parser.handles_multiple_outgoing():
        node_parser.raise_validation_exception("Multiple outgoing flows are not supported for tasks of type")
    children = []
    for sequence_flow in outgoing:
        target_ref = sequence_flow.get("targetRef")
        target_node = process_parser.get_node_by_id(target_ref)
        if target_node is None:
            node_parser.raise_validation_exception(
                "When looking for a task spec, we found two items, perhaps a form has the same ID? (%s)" % target_ref)
        split_task = process_parser.spec.task_specs.get(f"{target_ref}.BoundaryEventSplit")
        target = process_parser.parse_node(target_node) if split_task is None else split_task
        children.append((node_parser.get_position(target_node), target, sequence_flow))
    if not children:
        return
    children.sort(key=lambda child: float(child[0]["y"]))  # the library's order: top to bottom in the diagram
    default_outgoing = node_parser.node.get("default")
    if len(children) == 1 and isinstance(node_parser.task, (ExclusiveGateway, InclusiveGateway)):
        _, _, sequence_flow = children[0]
        if node_parser.parse_condition(sequence_flow) is None:
            default_outgoing = sequence_flow.get("id")
    for _, target, sequence_flow in children:
        node_parser.connect_outgoing(target, sequence_flow, sequence_flow.get("id") == default_outgoing)
