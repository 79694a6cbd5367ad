"""A refund model whose service task asks a policy about the person acting, shared by the engine, API and e2e
tests: a step-up routes to a user task for that person (`${step_up_user}`), a deny to its own end."""
from __future__ import annotations

import json

from helpers import bpmn_document, flow, script_task

PEOPLE_POLICY = {
    "id": "refund-people",
    "default": "allow",
    "rules": [
        {"id": "own-request", "when": "person.user == requester", "effect": "deny",
         "reason": "nobody approves their own refund"},
        {"id": "large-needs-second-factor", "when": "double(amount) > 1000.0 && !person.second_factor",
         "effect": "step_up", "reason": "refunds over 1000 need a second factor",
         "requires": {"second_factor": True, "max_auth_age_minutes": 10}},
    ],
}

TRUST_POLICY = {
    "id": "refund-trust",
    "default": "allow",
    "rules": [{"id": "low-trust", "when": "person.trust_score < 50.0", "effect": "step_up",
               "reason": "the person's trust score is below 50"}],
}

# The example of the README: a second factor, a fresh sign-in and the office network each add trust.
EXAMPLE_TRUST_SCORE = ("(person.second_factor ? 50.0 : 0.0) + (person.auth_age_minutes != null && "
                       "person.auth_age_minutes < 15.0 ? 30.0 : 0.0) + "
                       "(ip_in(person.client_address, ['10.0.0.0/8']) ? 20.0 : 0.0)")

ERRORS = ('<bpmn:error id="err_step_up" name="step up" errorCode="STEP_UP_REQUIRED"/>'
          '<bpmn:error id="err_denied" name="denied" errorCode="POLICY_DENIED"/>')


def refund_model(policy_file: str = "people.policy.json", key: str = "refund", service_attributes: str = "",
                 prepare: bool = False) -> bytes:
    """start -> check (policy handler) -> approve -> end; STEP_UP_REQUIRED -> confirm (a user task for
    ${step_up_user}) -> end; POLICY_DENIED -> refuse -> end. With `prepare`, a user task `prepare` (for the
    finance group) comes before the check, so whoever completes it is the person judged."""
    check = (f'<bpmn:serviceTask id="check" name="Check" camunda:class="policy" {service_attributes}>'
             f'<bpmn:extensionElements><camunda:properties><camunda:property name="policy" value="{policy_file}"/>'
             '</camunda:properties></bpmn:extensionElements></bpmn:serviceTask>')
    body = ('<bpmn:startEvent id="start"/>' + check
            + script_task("approve", "outcome = 'approved'") + '<bpmn:endEvent id="end"/>'
            + '<bpmn:boundaryEvent id="step_up" attachedToRef="check">'
              '<bpmn:errorEventDefinition errorRef="err_step_up"/></bpmn:boundaryEvent>'
            + '<bpmn:userTask id="confirm" name="Confirm it is you" camunda:assignee="${step_up_user}"/>'
            + '<bpmn:endEvent id="end_confirmed"/>'
            + '<bpmn:boundaryEvent id="denied" attachedToRef="check">'
              '<bpmn:errorEventDefinition errorRef="err_denied"/></bpmn:boundaryEvent>'
            + script_task("refuse", "outcome = 'denied'") + '<bpmn:endEvent id="end_denied"/>'
            + (('<bpmn:userTask id="prepare" name="Prepare" camunda:candidateGroups="finance"/>'
                + flow("f0", "start", "prepare") + flow("f1", "prepare", "check")) if prepare
               else flow("f1", "start", "check"))
            + flow("f2", "check", "approve") + flow("f3", "approve", "end")
            + flow("f4", "step_up", "confirm") + flow("f5", "confirm", "end_confirmed")
            + flow("f6", "denied", "refuse") + flow("f7", "refuse", "end_denied"))
    return bpmn_document(body, key).replace(b"</bpmn:definitions>", ERRORS.encode() + b"</bpmn:definitions>")


def refund_files() -> dict[str, bytes]:
    """The model (asking people.policy.json) and both policies, as one deployment."""
    return {"refund.bpmn": refund_model(), "people.policy.json": json.dumps(PEOPLE_POLICY).encode(),
            "trust.policy.json": json.dumps(TRUST_POLICY).encode()}
