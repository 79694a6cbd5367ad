"""What an exclusive or inclusive gateway decided: the flows it took, their conditions, and the values read.

SpiffWorkflow's ExclusiveChoice evaluates its conditional outputs in order and takes the first that
matches (else the default); MultiChoice (inclusive) takes every match (else the defaults). Either
way, the chosen outputs become the completed gateway task's children, which is what we read: the
observer sees the gateway right after it ran, before pruning can touch its children.

The flows' ids and condition texts come from the definition's activities catalogue (the
compiler's "outgoing" of each deciding gateway); a definition compiled before the catalogue had
them falls back to the spec's conditions, without flow ids. `inputs` holds the values of the
variables the conditions mention, as the gateway saw them; the history adds where each came from
(see HistoryRecorder: `sources`).

An event-based gateway decides by the event that came first: its decision names that event (kind,
name, the catch event) and the branches withdrawn with their waits.
"""
from __future__ import annotations

import re

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from bpmn.event_gateway import awaited_events, is_event_gateway, winning_event
from engine.runtime.tokens import BOUNDARY_SPLIT

DECIDING_GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway"})
EVENT_KINDS = ((MessageEventDefinition, "message"), (SignalEventDefinition, "signal"), (TimerEventDefinition, "timer"))
_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _element_id(spec) -> str:
    """The BPMN element a task spec stands for (a task with boundary events is entered by a split)."""
    return getattr(spec, "bpmn_id", None) or spec.name.removesuffix(BOUNDARY_SPLIT)


def _spec_outgoing(spec) -> list[dict]:
    """Outgoing flows as the spec knows them: target and condition (None: the default), no flow id."""
    return [{"flow_id": None, "target": name.removesuffix(BOUNDARY_SPLIT),
             "condition": condition.args[0] if condition is not None else None}
            for condition, name in spec.cond_task_specs]


def _names_read(conditions) -> list[str]:
    """Names the condition texts mention (outside string literals), in order of first mention."""
    names: dict[str, None] = {}
    for text in conditions:
        for name in _NAME.findall(_STRING_LITERAL.sub(" ", text or "")):
            names.setdefault(name)
    return list(names)


def gateway_decision(task, info: dict) -> dict | None:
    """The decision of a completed deciding gateway with more than one way out, else None."""
    spec = task.task_spec
    if is_event_gateway(task):
        return _event_decision(task, info)
    if info.get("type") not in DECIDING_GATEWAYS or len(getattr(spec, "cond_task_specs", ())) < 2:
        return None
    outgoing = info.get("outgoing") or _spec_outgoing(spec)
    by_target: dict[str, list[dict]] = {}
    for flow in outgoing:
        by_target.setdefault(flow["target"], []).append(flow)
    taken = []
    for child in task.children:
        flows = by_target.get(_element_id(child.task_spec)) or [{"flow_id": None, "condition": None}]
        flow = flows.pop(0) if len(flows) > 1 else flows[0]
        taken.append({"flow_id": flow["flow_id"], "target": _element_id(child.task_spec),
                      "condition": flow["condition"]})
    data = task.data
    inputs = {name: data[name] for name in _names_read(f["condition"] for f in outgoing) if name in data}
    return {"type": info.get("type"), "taken": taken, "inputs": inputs}


def _event_decision(task, info: dict) -> dict | None:
    """Which event an event-based gateway took, and which branches it withdrew."""
    won = winning_event(task)
    if won is None:
        return None
    definition, target = won
    flow = next((f for f in info.get("outgoing") or [] if f["target"] == target), {})
    kind = next((name for cls, name in EVENT_KINDS if isinstance(definition, cls)), None)
    return {"type": "eventBasedGateway",
            "taken": [{"flow_id": flow.get("flow_id"), "target": target, "condition": None}],
            "event": {"kind": kind, "name": None if kind == "timer" else definition.name, "activity_id": target},
            "withdrawn": [activity_id for _, activity_id in awaited_events(task) if activity_id != target],
            "inputs": {}}
