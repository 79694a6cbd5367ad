"""Compensation as Fuse runs it (bpmn.compensation), checked before anything is parsed."""
from __future__ import annotations

from typing import Iterator

from lxml import etree

from bpmn.compensation import (
    SUB_PROCESS_TAGS, associated_handlers, associations_by_end, compensation_boundaries,
    compensation_event_subprocesses, has_compensation, is_handler,
)
from bpmn.errors import ElementProblem, problem
from bpmn.lenient_xml import FLOW_NODE_TAGS, is_event_subprocess, local
from bpmn.namespaces import bpmn

ACTIVITY_TAGS = {tag for tag in FLOW_NODE_TAGS if not tag.endswith(("Event", "Gateway"))}


def compensation(process: etree._Element) -> Iterator[ElementProblem]:
    """Every compensation element of a process in a shape Fuse can run."""
    yield from _boundaries(process)
    yield from _handlers(process)
    yield from _event_subprocesses(process)
    for node in process.iter():
        if not isinstance(node.tag, str) or not has_compensation(node):
            continue
        kind = local(node)
        if kind == "startEvent" and not is_event_subprocess(node.getparent()):
            yield problem(node, "a compensation start event belongs in an event sub-process inside a sub-process")
        elif kind == "intermediateCatchEvent":
            yield problem(node, "BPMN has no compensation catch event: attach a compensation boundary event to "
                                 "the activity and associate it with its handler")
        elif kind in ("intermediateThrowEvent", "endEvent"):
            yield from _activity_ref(node)


def _boundaries(process: etree._Element) -> Iterator[ElementProblem]:
    boundaries = compensation_boundaries(process)
    if not boundaries:  # the document-wide indexes below are built per process: only when needed
        return
    root = process.getroottree().getroot()
    by_id = {n.get("id"): n for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    associations = associations_by_end(root)
    compensated: set[str] = set()
    for boundary in boundaries:
        handlers = associated_handlers(boundary, by_id, associations)
        if not handlers:
            yield problem(boundary, "compensation boundary event has no handler: associate it with an activity "
                                     "marked isForCompensation=\"true\"")
        elif len(handlers) > 1:
            yield problem(boundary, "compensation boundary event is associated with several handlers; "
                                     "an activity has one compensation handler")
        activity = boundary.get("attachedToRef")
        if activity in compensated:
            yield problem(boundary, f"activity '{activity}' has a second compensation boundary event; "
                                     "an activity has one compensation handler")
        compensated.add(activity)


def _handlers(process: etree._Element) -> Iterator[ElementProblem]:
    flow_ends = {end for flow in process.iter() if local(flow) == "sequenceFlow"
                 for end in (flow.get("sourceRef"), flow.get("targetRef"))}
    boundaries = {b.get("attachedToRef") for b in process.iter() if local(b) == "boundaryEvent"}
    for handler in process.iter():
        if local(handler) not in FLOW_NODE_TAGS or not is_handler(handler):
            continue
        if handler.get("id") in flow_ends:
            yield problem(handler, "a compensation handler (isForCompensation=\"true\") has no sequence flows: "
                                    "it runs only when its activity is compensated")
        if handler.get("id") in boundaries:
            yield problem(handler, "boundary events on a compensation handler are not supported")


def _event_subprocesses(process: etree._Element) -> Iterator[ElementProblem]:
    holders: set[str] = set()
    for event_subprocess in compensation_event_subprocesses(process):
        holder = event_subprocess.getparent()
        if local(holder) not in SUB_PROCESS_TAGS:
            yield problem(event_subprocess, "a compensation event sub-process belongs in a sub-process (it runs "
                                             "when that sub-process is compensated); a process is never compensated")
        elif holder.get("id") in holders:
            yield problem(event_subprocess, "a sub-process has one compensation event sub-process")
        holders.add(holder.get("id"))


def _activity_ref(event: etree._Element) -> Iterator[ElementProblem]:
    """activityRef names an activity of the event's scope (of the sub-process, in an event sub-process)."""
    ref = event.find(bpmn("compensateEventDefinition")).get("activityRef")
    if not ref:
        return
    scope = event.getparent()
    if is_event_subprocess(scope):
        scope = scope.getparent()
    activities = {child.get("id") for child in scope if local(child) in ACTIVITY_TAGS}
    if ref not in activities:
        yield problem(event, f"activityRef '{ref}' names no activity of this event's scope; a compensation event "
                              "compensates activities of its own process or sub-process")
