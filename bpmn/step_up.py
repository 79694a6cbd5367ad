"""Step-up requirements of a user task: what the person completing it must have shown, declared with
extension properties (camunda:properties for Camunda 7, zeebe:properties for Camunda 8):

    fuse.stepUp.maxAuthAgeMinutes   whole minutes from 1: signed in at most that long ago
    fuse.stepUp.secondFactor        "true": signed in with a second factor
    fuse.stepUp.groups              comma-separated group names: in at least one of them
    fuse.stepUp.policy              a deployed NAME.policy.json judged when someone completes the task

A bad value is a model problem named by element, found when the model is deployed or validated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from lxml import etree

from bpmn.errors import ElementProblem, problem
from bpmn.extensions.reader import read_extensions
from bpmn.lenient_xml import label, local
from bpmn.namespaces import bpmn

PREFIX = "fuse.stepUp."
MAX_AGE, SECOND_FACTOR, GROUPS, POLICY = (f"{PREFIX}{name}" for name in
                                          ("maxAuthAgeMinutes", "secondFactor", "groups", "policy"))
KNOWN = (MAX_AGE, SECOND_FACTOR, GROUPS, POLICY)


@dataclass(frozen=True)
class StepUp:
    """What a task asks of the person completing it (nothing asked: every field empty)."""

    max_auth_age_minutes: int | None = None
    second_factor: bool = False
    groups: tuple[str, ...] = ()
    policy: str | None = None

    def __bool__(self) -> bool:
        return bool(self.max_auth_age_minutes or self.second_factor or self.groups or self.policy)

    def as_dict(self) -> dict:
        """For the task's JSON, so that a page can warn before the person types anything."""
        return {"max_auth_age_minutes": self.max_auth_age_minutes, "second_factor": self.second_factor,
                "groups": list(self.groups), "policy": self.policy}


def read_step_up(properties: dict) -> tuple[StepUp, list[str]]:
    """The requirements in an element's properties and the problems of their values (then ignored)."""
    problems: list[str] = []
    unknown = sorted(name for name in properties if str(name).startswith(PREFIX) and name not in KNOWN)
    problems.extend(f"unknown property {name} (known: {', '.join(KNOWN)})" for name in unknown)
    age = None
    if (raw := properties.get(MAX_AGE)) is not None:
        text = str(raw).strip()
        if text.isdigit() and int(text) >= 1:
            age = int(text)
        else:
            problems.append(f"{MAX_AGE} must be a whole number of minutes from 1, not {raw!r}")
    second_factor = False
    if (raw := properties.get(SECOND_FACTOR)) is not None:
        text = str(raw).strip().lower()
        if text in ("true", "false"):
            second_factor = text == "true"
        else:
            problems.append(f"{SECOND_FACTOR} must be \"true\" or \"false\", not {raw!r}")
    groups: tuple[str, ...] = ()
    if (raw := properties.get(GROUPS)) is not None:
        groups = tuple(g.strip() for g in str(raw).split(",") if g.strip())
        if not groups:
            problems.append(f"{GROUPS} must name at least one group (comma-separated), not {raw!r}")
    policy = None
    if (raw := properties.get(POLICY)) is not None:
        policy = str(raw).strip()
        if not policy.lower().endswith(".policy.json"):
            problems.append(f"{POLICY} must name a deployed .policy.json file, not {raw!r}")
            policy = None
    return StepUp(age, second_factor, groups, policy), problems


def step_up_of(extensions: dict) -> StepUp:
    """The requirements of a compiled task spec's extensions (checked when it was deployed)."""
    return read_step_up(extensions.get("properties") or {})[0]


def step_up_properties(process: etree._Element) -> Iterator[ElementProblem]:
    """Bad step-up values, and step-up properties on elements other than user tasks (nobody completes them)."""
    for holder in process.iter(bpmn("extensionElements")):
        node = holder.getparent()
        if local(node) is None:
            continue
        properties = read_extensions(node).get("properties") or {}
        if not any(str(name).startswith(PREFIX) for name in properties):
            continue
        if local(node) != "userTask":
            yield problem(node, f"'{label(node)}': {PREFIX}* properties are for user tasks only")
            continue
        for message in read_step_up(properties)[1]:
            yield problem(node, f"user task '{label(node)}': {message}")
