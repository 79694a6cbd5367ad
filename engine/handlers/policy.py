"""The `policy` handler: judges the flow's data against a CEL policy deployed with the model.

Inputs: `policy` (a deployed file such as "refund.policy.json"; else the task's `config["policy"]`) and the
data to judge; every input is a CEL variable, plus `score` (a double, reserved for the policy's score
expression) and `now` (a timestamp, unless an input already has that name). CEL also gets
`ip_in(ip, ["10.0.0.0/8", ...])`. Outputs: `decision`, `score`, `reasons`, `matched`. A deny raises the
BPMN error POLICY_DENIED, a step-up STEP_UP_REQUIRED, so that the model routes them; a broken policy
raises ValueError (a technical failure). Every evaluation is recorded in the history.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone

import cel

from engine.handlers.base import BpmnError, HandlerContext
from engine.handlers.policy_document import Effect, Policy, Rule, check_policy_document, compiled_policy

__all__ = ["handle", "evaluate_policy", "check_policy_document", "PolicyResult"]

# The BPMN error each decision raises; a decision not listed here lets the flow go on.
ERROR_CODES = {Effect.DENY: "POLICY_DENIED", Effect.STEP_UP: "STEP_UP_REQUIRED"}


@dataclass(frozen=True)
class PolicyResult:
    policy: Policy
    decision: Effect
    score: float | None
    matched: tuple[Rule, ...]

    def outputs(self) -> dict:
        return {
            "decision": self.decision.value,
            "score": self.score,
            "reasons": [rule.reason for rule in self.matched],
            "matched": [rule.id for rule in self.matched],
        }

    def history(self) -> dict:
        return {
            "policy": self.policy.id,
            "decision": self.decision.value,
            "score": self.score,
            "matched": [{"id": r.id, "effect": r.effect.value, "reason": r.reason} for r in self.matched],
        }

    def error_message(self) -> str:
        """The reasons of the rules that made the decision, or why the default applied."""
        reasons = [rule.reason for rule in self.matched if rule.effect is self.decision]
        return "; ".join(reasons) or f"no rule matched; the default of policy {self.policy.id} is {self.decision.value}"


def handle(inputs: dict, context: HandlerContext) -> dict:
    """Judge `inputs` against the policy file; the outputs on allow, a BpmnError on deny or step-up."""
    name = inputs.get("policy") or context.config.get("policy")
    if not name:
        raise ValueError("the policy handler needs a `policy` input or config naming a deployed policy file")
    policy = compiled_policy(context.resource(name), name)
    result = evaluate_policy(policy, inputs)
    context.record("policy_evaluated", result.history())
    outputs = result.outputs()
    if result.decision in ERROR_CODES:
        raise BpmnError(ERROR_CODES[result.decision], result.error_message(), variables=outputs)
    return outputs


def evaluate_policy(policy: Policy, data: dict) -> PolicyResult:
    """Run the score expression, then every rule; the strongest matched effect decides, else the default."""
    variables = dict(data)
    variables.setdefault("now", datetime.now(timezone.utc))
    try:
        environment = cel.Context(variables=variables, functions={"ip_in": ip_in})
    except (ValueError, TypeError) as exc:
        raise ValueError(f"policy {policy.id} ({policy.name}): the data cannot be given to CEL: {exc}") from exc
    score = None
    if policy.score is not None:
        score = _score(policy, _run(policy, "the score expression", policy.score, environment))
        environment.add_variable("score", score)
    matched = []
    for rule in policy.rules:
        verdict = _run(policy, f"rule {rule.id!r}", rule.when, environment)
        if not isinstance(verdict, bool):
            raise ValueError(f"policy {policy.id} ({policy.name}) rule {rule.id!r}: `when` gave {verdict!r}, "
                             "not a boolean")
        if verdict:
            matched.append(rule)
    decision = max((rule.effect for rule in matched), key=lambda effect: effect.strength, default=policy.default)
    return PolicyResult(policy, decision, score, tuple(matched))


def ip_in(ip: str, networks: list[str] | str) -> bool:
    """CEL `ip_in(ip, networks)`: whether the address lies in one of the CIDR networks (IPv4 or IPv6)."""
    address = ipaddress.ip_address(ip)
    if isinstance(networks, str):
        networks = [networks]
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def _run(policy: Policy, what: str, program: cel.Program, environment: cel.Context):
    try:
        return program.execute(environment)
    except Exception as exc:  # noqa: BLE001 - KeyError, TypeError, RuntimeError...: every CEL failure
        # The bindings raise a bare KeyError('field') for a missing map key; say what it is.
        missing_key = type(exc) is KeyError and exc.args
        problem = f"no such key {exc.args[0]!r}" if missing_key else f"{type(exc).__name__}: {exc}"
        raise ValueError(f"policy {policy.id} ({policy.name}) {what} failed: {problem} "
                         f"(in `{program.source}`)") from exc


def _score(policy: Policy, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise ValueError(f"policy {policy.id} ({policy.name}): the score expression gave {value!r}, "
                         "not a number from 0 to 100")
    return float(value)
