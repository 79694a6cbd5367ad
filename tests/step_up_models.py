"""Models whose user task asks for a step-up (fuse.stepUp.* properties), in Camunda 7 and Camunda 8 form,
shared by the engine and API tests."""
from __future__ import annotations

import json

from helpers import bpmn_document, flow

APPROVAL_POLICY = {
    "id": "approval-people",
    "default": "allow",
    "rules": [
        {"id": "own-request", "when": "person.user == requester", "effect": "deny",
         "reason": "nobody approves their own refund"},
        {"id": "large", "when": "double(amount) > 1000.0 && task.activity_id == 'approve' && "
                                "!(person.second_factor && person.auth_age_minutes <= 10.0)",
         "effect": "step_up", "reason": "refunds over 1000 need a recent second factor",
         "requires": {"second_factor": True, "max_auth_age_minutes": 10}},
    ],
}


def camunda_properties(properties: dict[str, str]) -> str:
    items = "".join(f'<camunda:property name="{k}" value="{v}"/>' for k, v in properties.items())
    return f"<bpmn:extensionElements><camunda:properties>{items}</camunda:properties></bpmn:extensionElements>"


def zeebe_properties(properties: dict[str, str]) -> str:
    items = "".join(f'<zeebe:property name="{k}" value="{v}"/>' for k, v in properties.items())
    return f"<bpmn:extensionElements><zeebe:properties>{items}</zeebe:properties></bpmn:extensionElements>"


def step_up_model(properties: dict[str, str], zeebe: bool = False, key: str = "stepup") -> bytes:
    """start -> approve (a user task asking `properties`) -> end."""
    extensions = (zeebe_properties if zeebe else camunda_properties)(properties)
    body = ('<bpmn:startEvent id="start"/>'
            f'<bpmn:userTask id="approve" name="Approve">{extensions}</bpmn:userTask>'
            '<bpmn:endEvent id="end"/>' + flow("f1", "start", "approve") + flow("f2", "approve", "end"))
    return bpmn_document(body, key)


def step_up_files(properties: dict[str, str], zeebe: bool = False) -> dict[str, bytes]:
    return {"stepup.bpmn": step_up_model(properties, zeebe),
            "approval.policy.json": json.dumps(APPROVAL_POLICY).encode()}
