"""The XML namespaces Fuse reads, and helpers that build qualified tag names."""
from __future__ import annotations

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def camunda(tag: str) -> str:
    return f"{{{CAMUNDA_NS}}}{tag}"


def zeebe(tag: str) -> str:
    return f"{{{ZEEBE_NS}}}{tag}"


def spiff(tag: str) -> str:
    return f"{{{SPIFF_NS}}}{tag}"
