"""Sequence-flow rewrites: what BPMN allows in a process's flow but SpiffWorkflow 3.2 refuses to parse.

Each function rewrites one scope (a process or sub-process, see lenient_xml.Scope) in place and
returns the Adjustments it made.
"""
from __future__ import annotations

from lxml import etree

from bpmn.lenient_xml import (
    Adjustment, Scope, adjustment, condition, has_event_definition, is_event_subprocess, label, local,
    set_condition,
)


_GATEWAY_NAMES = {"exclusiveGateway": "exclusive gateway", "inclusiveGateway": "inclusive gateway"}


def gateway_conditions(scope: Scope) -> list[Adjustment]:
    """Unconditioned, non-default flows out of exclusive and inclusive gateways.

    BPMN calls them an error; SpiffWorkflow refuses them; Camunda treats a missing condition as
    true. A lone one out of an exclusive gateway with no default is almost always the modeller's
    "otherwise", so it becomes the default; any other gets the condition `True` (Camunda's reading).
    """
    found = []
    for gateway in scope.nodes:
        kind = local(gateway)
        flows = scope.outgoing(gateway)
        if kind not in ("exclusiveGateway", "inclusiveGateway") or len(flows) < 2:
            continue  # with one outgoing flow SpiffWorkflow makes it the default itself
        default = gateway.get("default")
        bare = [f for f in flows if condition(f) is None and f.get("id") != default]
        if kind == "exclusiveGateway" and len(bare) == 1 and default not in {f.get("id") for f in flows}:
            gateway.set("default", bare[0].get("id"))
            found.append(adjustment(bare[0], (
                f"flow '{label(bare[0])}' out of exclusive gateway '{label(gateway)}' has no condition and "
                "the gateway has no default: made it the default flow (taken when no condition holds)")))
            continue
        for flow in bare:
            set_condition(flow, "True")
            taken = ("so it is always taken" if kind == "inclusiveGateway" else
                     "so it is taken unless a flow checked before it holds; SpiffWorkflow checks the flows "
                     "by their targets' places in the diagram, top to bottom")
            found.append(adjustment(flow, (
                f"flow '{label(flow)}' out of {_GATEWAY_NAMES[kind]} '{label(gateway)}' has no condition and "
                "is not the default: gave it the condition True, as Camunda reads a missing condition, "
                f"{taken}")))
    return found


def implicit_splits(scope: Scope) -> list[Adjustment]:
    """A task or event with several outgoing flows: made explicit with a gateway right after it.

    BPMN fires every unconditioned flow, every conditioned flow whose condition holds, and the
    default flow when nothing else fires; an inclusive gateway does exactly that once the plain
    flows get the condition `True`. With no conditions and no default a parallel gateway suffices.
    """
    found = []
    for node in list(scope.nodes):
        flows = scope.outgoing(node)
        kind = local(node)
        if len(flows) < 2 or kind.endswith("Gateway"):
            continue
        conditioned = [f for f in flows if condition(f) is not None]
        default = node.get("default") if node.get("default") in {f.get("id") for f in flows} else None
        if kind == "startEvent" and not conditioned:
            continue  # SpiffWorkflow already runs a start event's plain flows in parallel
        inclusive = bool(conditioned or default)
        gateway = scope.new_node("inclusiveGateway" if inclusive else "parallelGateway",
                                 f"{node.get('id')}__split", after=node, gatewayDirection="Diverging")
        scope.add_to_lane_of(node, gateway)
        for flow in flows:
            scope.move_source(flow, gateway)
            if inclusive and condition(flow) is None and flow.get("id") != default:
                set_condition(flow, "True")
        if default:
            del node.attrib["default"]
            gateway.set("default", default)
        scope.new_flow(node, gateway, f"{node.get('id')}__split_flow")
        how = ("an inclusive gateway (flows without a condition always fire"
               + (", the default fires when nothing else does)" if default else ")")
               if inclusive else "a parallel gateway (every flow fires)")
        found.append(adjustment(node, f"implicit split after '{label(node)}' ({len(flows)} outgoing flows): "
                                      f"made explicit with {how}"))
    return found


def _may_start(node: etree._Element) -> bool:
    """Whether BPMN starts `node` in a scope without start events, when it has no incoming flow."""
    kind = local(node)
    return not (kind in ("startEvent", "boundaryEvent") or is_event_subprocess(node)
                or node.get("isForCompensation") == "true"
                or (kind == "intermediateCatchEvent" and has_event_definition(node, "link")))


def _may_end(node: etree._Element) -> bool:
    """Whether a node without outgoing flows ends a path (BPMN's implicit end)."""
    kind = local(node)
    return not (kind == "endEvent" or is_event_subprocess(node) or node.get("isForCompensation") == "true"
                or (kind == "boundaryEvent" and has_event_definition(node, "compensate"))
                or (kind == "intermediateThrowEvent" and has_event_definition(node, "link")))


def missing_start(scope: Scope) -> list[Adjustment]:
    """A scope without a start event: BPMN starts every node that has no incoming flow.

    SpiffWorkflow needs a start event (exactly one in a sub-process), so one is added with a flow to
    each such node, through a parallel gateway when there are several. An empty sub-process (often a
    collapsed one drawn without content) gets a start event flowing straight to an end event.
    """
    element = scope.element
    if local(element) == "adHocSubProcess" or is_event_subprocess(element):
        return []  # ad hoc sub-processes may not have one; an event sub-process needs its trigger
    if any(local(node) == "startEvent" for node in scope.nodes):
        return []
    starting = [node for node in scope.nodes if _may_start(node) and not scope.incoming(node)]
    is_empty = not any(_may_start(node) for node in scope.nodes)
    if not starting and not (is_empty and local(element) != "process"):
        return []  # every node is in a cycle: nothing to start, let SpiffWorkflow say so
    scope_id = element.get("id")
    start = scope.new_node("startEvent", f"{scope_id}__start")
    if is_empty:
        end = scope.new_node("endEvent", f"{scope_id}__end", after=start)
        scope.new_flow(start, end, f"{scope_id}__start_flow")
        return [adjustment(element, f"'{label(element)}' is empty: gave it a start event and an end event "
                                    "so that it completes at once")]
    target = start
    if len(starting) > 1:
        target = scope.new_node("parallelGateway", f"{scope_id}__start_split", after=start,
                                gatewayDirection="Diverging")
        scope.new_flow(start, target, f"{scope_id}__start_split_flow")
    for node in starting:
        scope.new_flow(target, node, f"{node.get('id')}__start_flow")
    names = ", ".join(f"'{label(node)}'" for node in starting)
    return [adjustment(element, f"'{label(element)}' has no start event: added one that starts {names} "
                                "(BPMN starts every node without an incoming flow)")]


def missing_end(scope: Scope) -> list[Adjustment]:
    """Nodes without outgoing flows (other than end events) get a flow to an added end event.

    SpiffWorkflow refuses a sub-process without an end event, and when a path ends without one it
    completes but drops that path's variables: only paths that reach an end event pass their data
    on. BPMN simply ends the path there, so the added end event changes nothing else.
    """
    element = scope.element
    if local(element) == "adHocSubProcess":
        return []  # ad hoc sub-processes may not have end events; SpiffWorkflow ends their paths itself
    has_end = any(local(node) == "endEvent" for node in scope.nodes)
    ending = [node for node in scope.nodes if _may_end(node) and not scope.outgoing(node)]
    if not ending:
        return []
    last_flow = scope.flows[-1] if scope.flows else None
    end = scope.new_node("endEvent", f"{element.get('id')}__end", after=last_flow)
    found = []
    for node in ending:
        scope.new_flow(node, end, f"{node.get('id')}__end_flow")
        if has_end:
            why = "SpiffWorkflow keeps a path's variables only when it reaches an end event"
        elif local(element) == "process":
            why = "without an end event SpiffWorkflow finishes the process but drops its variables"
        else:
            why = "SpiffWorkflow refuses a sub-process without an end event"
        found.append(adjustment(node, f"'{label(node)}' has no outgoing flow (an implicit end): connected it "
                                      f"to an added end event, as {why}"))
    return found
