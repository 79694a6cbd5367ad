"""Policy documents (`NAME.policy.json`, deployed with the model): read, check and compile their CEL rules.

A document is `{"id", "description"?, "default": effect, "score"?: CEL number 0..100, "rules": [{"id",
"when": CEL boolean, "effect": "allow"|"step_up"|"deny", "reason", "requires"?}]}`; a step_up rule's
`requires` says what the person must show to go on: `{"second_factor": true, "max_auth_age_minutes": 10}`.
CEL is run by the `common-expression-language` package (Rust `cel` crate bindings, imported as `cel`).
"""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any

import cel


class Effect(str, Enum):
    """What a matched rule asks for; the strongest one among the matched rules decides."""

    ALLOW = "allow"
    STEP_UP = "step_up"
    DENY = "deny"

    @property
    def strength(self) -> int:
        return _STRENGTH[self]


_STRENGTH = {Effect.ALLOW: 0, Effect.STEP_UP: 1, Effect.DENY: 2}
_EFFECTS = ", ".join(effect.value for effect in Effect)
_DOCUMENT_KEYS = {"id", "description", "default", "score", "rules"}
_RULE_KEYS = {"id", "description", "when", "effect", "reason", "requires"}
_REQUIRES_KEYS = {"second_factor", "max_auth_age_minutes"}


@dataclass(frozen=True)
class Requirements:
    """What a step-up asks of the person: a second factor, a sign-in at most so many minutes old."""

    second_factor: bool = False
    max_auth_age_minutes: int | None = None

    def merged(self, other: Requirements) -> Requirements:
        """Both at once: the stricter of each."""
        ages = [age for age in (self.max_auth_age_minutes, other.max_auth_age_minutes) if age is not None]
        return Requirements(self.second_factor or other.second_factor, min(ages) if ages else None)

    def as_dict(self) -> dict:
        """Only what is asked for (an empty dict asks for nothing in particular)."""
        asked = {"second_factor": True} if self.second_factor else {}
        if self.max_auth_age_minutes is not None:
            asked["max_auth_age_minutes"] = self.max_auth_age_minutes
        return asked


@dataclass(frozen=True)
class Rule:
    id: str
    when: cel.Program
    effect: Effect
    reason: str
    requires: Requirements = Requirements()


@dataclass(frozen=True)
class Policy:
    """A compiled policy document; shared between calls and threads, never changed."""

    id: str
    name: str
    default: Effect
    score: cel.Program | None
    rules: tuple[Rule, ...]


def check_policy_document(content: bytes, name: str) -> list[str]:
    """The problems of a policy document (empty when it can be used), each naming the file and the rule."""
    return _compile(content, name)[1]


_CACHE_SIZE = 128
_compiled: dict[str, Policy] = {}
_compiled_lock = threading.Lock()


def compiled_policy(content: bytes, name: str) -> Policy:
    """The policy in `content`, compiled once per distinct content; ValueError listing its problems."""
    digest = hashlib.sha256(content).hexdigest()
    policy = _compiled.get(digest)
    if policy is not None:
        return policy
    policy, problems = _compile(content, name)
    if problems:
        raise ValueError("invalid policy document: " + "; ".join(problems))
    with _compiled_lock:  # a cache of immutable values: dropping the oldest only costs a recompile
        if len(_compiled) >= _CACHE_SIZE:
            del _compiled[next(iter(_compiled))]
        _compiled[digest] = policy
    return policy


def _compile(content: bytes, name: str) -> tuple[Policy | None, list[str]]:
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, ValueError) as exc:
        return None, [f"{name}: not a JSON document: {exc}"]
    if not isinstance(document, dict):
        return None, [f"{name}: a policy is a JSON object, not {type(document).__name__}"]
    problems = [f"{name}: unknown key {key!r}" for key in sorted(set(document) - _DOCUMENT_KEYS)]
    policy_id = _text(document, "id", name, problems)
    default = _effect(document, "default", name, problems)
    score = None
    if document.get("score") is not None:
        score = _program(document["score"], f"{name}: `score`", problems)
    rules = document.get("rules")
    if not isinstance(rules, list):
        problems.append(f"{name}: `rules` must be a list of rules")
        rules = []
    compiled_rules, seen = [], set()
    for position, rule in enumerate(rules, start=1):
        compiled = _rule(rule, name, position, seen, problems)
        if compiled is not None:
            compiled_rules.append(compiled)
    if score is None:
        problems.extend(f"{name}: rule {rule.id!r}: `when` uses `score`, but the policy has no `score` expression"
                        for rule in compiled_rules if "score" in rule.when.variables())
    if problems:
        return None, problems
    return Policy(policy_id, name, default, score, tuple(compiled_rules)), []


def _rule(rule: Any, name: str, position: int, seen: set[str], problems: list[str]) -> Rule | None:
    """The compiled rule, or None after adding its problems (named by rule id, else by position)."""
    if not isinstance(rule, dict):
        problems.append(f"{name}: rule #{position} is not a JSON object")
        return None
    rule_id = rule.get("id")
    where = f"{name}: rule #{position}"
    if isinstance(rule_id, str) and rule_id.strip():
        where = f"{name}: rule {rule_id!r}"
        if rule_id in seen:
            problems.append(f"{where}: the id is already used by an earlier rule")
        seen.add(rule_id)
    count = len(problems)
    problems.extend(f"{where}: unknown key {key!r}" for key in sorted(set(rule) - _RULE_KEYS))
    rule_id = _text(rule, "id", where, problems)
    reason = _text(rule, "reason", where, problems)
    effect = _effect(rule, "effect", where, problems)
    when = _program(rule.get("when"), f"{where}: `when`", problems)
    requires = _requires(rule, effect, where, problems)
    if len(problems) > count:
        return None
    return Rule(rule_id, when, effect, reason, requires)


def _requires(rule: dict, effect: Effect, where: str, problems: list[str]) -> Requirements:
    """A rule's `requires` (only a step_up rule may have one): second_factor true/false, max_auth_age_minutes a
    whole number of minutes above 0."""
    if "requires" not in rule:
        return Requirements()
    asked = rule["requires"]
    if not isinstance(asked, dict):
        problems.append(f"{where}: `requires` must be a JSON object such as "
                        '{"second_factor": true, "max_auth_age_minutes": 10}')
        return Requirements()
    if rule.get("effect") in (Effect.ALLOW.value, Effect.DENY.value):
        problems.append(f"{where}: `requires` is for step_up rules, not {effect.value}")
    problems.extend(f"{where}: `requires` has an unknown key {key!r} (known: "
                    f"{', '.join(sorted(_REQUIRES_KEYS))})" for key in sorted(set(asked) - _REQUIRES_KEYS))
    second_factor = asked.get("second_factor", False)
    if not isinstance(second_factor, bool):
        problems.append(f"{where}: `requires.second_factor` must be true or false, not {second_factor!r}")
    age = asked.get("max_auth_age_minutes")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 1):
        problems.append(f"{where}: `requires.max_auth_age_minutes` must be a whole number of minutes from 1, "
                        f"not {age!r}")
        age = None
    return Requirements(second_factor is True, age)


def _text(document: dict, key: str, where: str, problems: list[str]) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: `{key}` must be a non-empty string")
        return ""
    return value


def _effect(document: dict, key: str, where: str, problems: list[str]) -> Effect:
    try:
        return Effect(document.get(key))
    except ValueError:
        problems.append(f"{where}: `{key}` must be one of {_EFFECTS}, not {document.get(key)!r}")
        return Effect.ALLOW


def _program(source: Any, where: str, problems: list[str]) -> cel.Program | None:
    if not isinstance(source, str) or not source.strip():
        problems.append(f"{where} must be a CEL expression (a non-empty string)")
        return None
    try:
        return cel.compile(source)
    except (ValueError, RuntimeError, TypeError) as exc:
        problems.append(f"{where} does not compile: {exc}")
        return None
