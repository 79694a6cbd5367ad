"""The `policy` handler: judges the flow's data, and the person acting, against a CEL policy deployed with the model.

Inputs: `policy` (a deployed file such as "refund.policy.json"; else the task's `config["policy"]`) and the
data to judge; every input is a CEL variable, plus `person` (the person whose command runs the flow, as
engine.identity.person describes them, trust score included; nobody in the worker's runs), `score` (a
double, reserved for the policy's score expression) and `now` (a timestamp, unless an input already has that
name). `person` is always the acting person: a variable of that name, which whoever starts an instance could
set, is not passed on. CEL also gets `ip_in(ip, ["10.0.0.0/8", ...])`. Outputs: `decision`, `score`,
`reasons`, `matched`. A deny raises the BPMN error POLICY_DENIED, a step-up STEP_UP_REQUIRED (whose variables
also name the person, `step_up_user`, why, `step_up_reasons`, and what they must show, `step_up_requires`),
so that the model routes them; a broken policy raises ValueError (a technical failure). Every evaluation is
recorded in the history, with the person's user name and trust score.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import cel

from engine.handlers.base import BpmnError, HandlerContext
from engine.handlers.policy_document import (
    Effect, Policy, Requirements, Rule, check_policy_document, compiled_policy,
)
from engine.identity.trust_score import TRUST_SCORE_VARIABLE
from engine.scripting.cel_functions import cel_context, failure_text

__all__ = ["handle", "evaluate_policy", "check_policy_document", "PolicyResult"]

# The BPMN error each decision raises; a decision not listed here lets the flow go on.
ERROR_CODES = {Effect.DENY: "POLICY_DENIED", Effect.STEP_UP: "STEP_UP_REQUIRED"}
PERSON = "person"


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

    def history(self, person: dict) -> dict:
        """The verdict for the audit trail: who was judged (user name and trust score only) and why."""
        return {
            "policy": self.policy.id,
            "decision": self.decision.value,
            "score": self.score,
            "matched": [{"id": r.id, "effect": r.effect.value, "reason": r.reason,
                         **({"requires": r.requires.as_dict()} if r.requires.as_dict() else {})}
                        for r in self.matched],
            "person": {"user": person.get("user", ""), "trust_score": person.get("trust_score")},
        }

    def step_up(self, person: dict) -> dict:
        """What a step-up hands the model: whose it is, why, and what they must show (the stricter of what
        the matched step_up rules require)."""
        rules = [rule for rule in self.matched if rule.effect is Effect.STEP_UP]
        requires = Requirements()
        for rule in rules:
            requires = requires.merged(rule.requires)
        return {"step_up_user": person.get("user", ""),
                "step_up_reasons": [rule.reason for rule in rules] or [self.error_message()],
                "step_up_requires": requires.as_dict()}

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
    result = evaluate_policy(policy, {**inputs, PERSON: context.person})
    context.record("policy_evaluated", result.history(context.person))
    outputs = result.outputs()
    if result.decision is Effect.STEP_UP:
        outputs.update(result.step_up(context.person))
    if result.decision in ERROR_CODES:
        raise BpmnError(ERROR_CODES[result.decision], result.error_message(), variables=outputs)
    return outputs


def evaluate_policy(policy: Policy, data: dict) -> PolicyResult:
    """Run the score expression, then every rule; the strongest matched effect decides, else the default."""
    variables = dict(data)
    variables.setdefault("now", datetime.now(timezone.utc))
    try:
        environment = cel_context(variables)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"policy {policy.id} ({policy.name}): the data cannot be given to CEL: {exc}") from exc
    hint = _hint(variables)
    score = None
    if policy.score is not None:
        score = _score(policy, _run(policy, "the score expression", policy.score, environment, hint))
        environment.add_variable("score", score)
    matched = []
    for rule in policy.rules:
        verdict = _run(policy, f"rule {rule.id!r}", rule.when, environment, hint)
        if not isinstance(verdict, bool):
            raise ValueError(f"policy {policy.id} ({policy.name}) rule {rule.id!r}: `when` gave {verdict!r}, "
                             "not a boolean")
        if verdict:
            matched.append(rule)
    decision = max((rule.effect for rule in matched), key=lambda effect: effect.strength, default=policy.default)
    return PolicyResult(policy, decision, score, tuple(matched))


def _hint(variables: dict) -> str:
    """Why `person.trust_score` may have failed a rule: the deployment sets no trust score."""
    person = variables.get(PERSON)
    if isinstance(person, dict) and "trust_score" in person and person["trust_score"] is None:
        return f"; person.trust_score is null because {TRUST_SCORE_VARIABLE} is not set"
    return ""


def _run(policy: Policy, what: str, program: cel.Program, environment: cel.Context, hint: str = ""):
    try:
        return program.execute(environment)
    except Exception as exc:  # noqa: BLE001 - KeyError, TypeError, RuntimeError...: every CEL failure
        hint = hint if "person.trust_score" in program.source else ""
        raise ValueError(f"policy {policy.id} ({policy.name}) {what} failed: {failure_text(exc)} "
                         f"(in `{program.source}`{hint})") from exc


def _score(policy: Policy, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise ValueError(f"policy {policy.id} ({policy.name}): the score expression gave {value!r}, "
                         "not a number from 0 to 100")
    return float(value)
