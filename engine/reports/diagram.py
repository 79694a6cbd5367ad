"""What happened at each activity of an instance, for drawing on its BPMN diagram.

Counts come from the history, tallied as its batches are read (only a few in memory at a time); the
current state comes from the instance row (its live activities and its error) and its open incidents.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpmn.xml_reader import read_xml
from engine.definitions.catalog import definition_xml, get_definition
from engine.incidents.incidents import OPEN
from engine.instances.commands import get_instance
from engine.history.reading import iter_instance_history
from engine.store.models import Incident, ProcessInstance
from engine.store.states import InstanceState


class ActivityState(str, Enum):
    COMPLETED = "completed"
    ACTIVE = "active"
    FAILED = "failed"
    CANCELLED = "cancelled"
    COMPENSATED = "compensated"
    NOT_REACHED = "not_reached"


# history event type -> the count it adds to; an incident stops a token just as a failure does.
COUNTED_EVENTS = {
    "activity_entered": "entered",
    "activity_completed": "completed",
    "activity_cancelled": "cancelled",
    "activity_compensated": "compensated",
    "instance_failed": "failed",
    "incident_opened": "failed",
}
COUNTS = ("entered", "completed", "active", "cancelled", "failed", "compensated")
# A finished run ends in one of these; the newest one says how the activity stands.
OUTCOMES = {"completed": ActivityState.COMPLETED, "cancelled": ActivityState.CANCELLED,
            "failed": ActivityState.FAILED, "compensated": ActivityState.COMPENSATED}


@dataclass
class InstanceDiagram:
    definition_id: str
    xml: bytes  # the BPMN file byte for byte
    activities: dict[str, dict]

    @property
    def bpmn(self) -> str:
        return xml_text(self.xml)


@dataclass
class _Tally:
    counts: Counter
    last_seq: dict[str, int]  # count name -> seq of its newest event


def history_tallies(session: Session, instance_id: str) -> dict[str, _Tally]:
    """Per activity id: how many of each counted event, and when the newest of each happened."""
    tallies: dict[str, _Tally] = {}
    for event in iter_instance_history(session, instance_id):
        name = COUNTED_EVENTS.get(event.type)
        if name is None or event.activity_id is None:
            continue
        tally = tallies.setdefault(event.activity_id, _Tally(Counter(), {}))
        tally.counts[name] += 1
        tally.last_seq[name] = max(event.seq, tally.last_seq.get(name, 0))
    return tallies


def stuck_tokens(session: Session, instance: ProcessInstance) -> Counter:
    """Per activity, the tokens stuck on a failure now: open incidents and a failed instance's error."""
    stuck = Counter(session.scalars(select(Incident.activity_id).where(
        Incident.instance_id == instance.id, Incident.state == OPEN, Incident.activity_id.is_not(None))))
    if instance.state == InstanceState.FAILED.value and (instance.error or {}).get("activity_id"):
        stuck[instance.error["activity_id"]] += 1
    return stuck


def activity_state(tally: _Tally, failing: bool) -> ActivityState:
    """Failing now, else active now, else the newest outcome of a finished run, else not reached."""
    if failing:
        return ActivityState.FAILED
    if tally.counts["active"]:
        return ActivityState.ACTIVE
    outcomes = [(seq, name) for name, seq in tally.last_seq.items() if name in OUTCOMES]
    if outcomes:
        return OUTCOMES[max(outcomes)[1]]
    # Entered but with no outcome and no live token: it was left behind when the instance ended.
    return ActivityState.CANCELLED if tally.counts["entered"] else ActivityState.NOT_REACHED


def activity_states(session: Session, instance: ProcessInstance, activity_ids=()) -> dict[str, dict]:
    """activity id -> {"state", "entered", "completed", "active", "cancelled", "failed", "compensated"}
    for the given ids (the definition's) and every activity the instance has been at.

    "active" counts live tokens that are not stuck on a failure (those make the state "failed").
    """
    tallies = history_tallies(session, instance.id)
    live = Counter(activity["activity_id"] for activity in instance.active_activities or [])
    stuck = stuck_tokens(session, instance)
    for activity_id in [*activity_ids, *live, *stuck]:
        tally = tallies.setdefault(activity_id, _Tally(Counter(), {}))
        tally.counts["active"] = max(0, live[activity_id] - stuck[activity_id])
    return {activity_id: {"state": activity_state(tally, stuck[activity_id] > 0).value,
                          **{name: tally.counts[name] for name in COUNTS}}
            for activity_id, tally in tallies.items()}


def xml_text(data: bytes) -> str:
    """The BPMN file as text, in whatever encoding it declares (most are UTF-8)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode(read_xml(data, "definition").getroottree().docinfo.encoding)


def instance_bpmn(session: Session, instance_id: str) -> bytes:
    """The BPMN file the instance's definition was deployed from, byte for byte."""
    return definition_xml(session, get_instance(session, instance_id).definition_id)


def instance_diagram(session: Session, instance_id: str) -> InstanceDiagram:
    """The instance's BPMN and the state of every activity of its definition (and any other it was at)."""
    instance = get_instance(session, instance_id)
    definition = get_definition(session, instance.definition_id)
    return InstanceDiagram(definition.id, definition_xml(session, definition.id),
                           activity_states(session, instance, definition.activities or {}))
