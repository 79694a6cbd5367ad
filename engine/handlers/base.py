"""What a handler receives, what it may raise, and how it leaves a trace in the history."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Protocol

from engine.handlers import operator_values
from engine.identity.person import person_context
from engine.identity.users import Actor


class BpmnError(Exception):
    """A business error: routed to a matching error boundary event (or fails the instance)."""

    def __init__(self, code: str, message: str = "", variables: dict | None = None):
        super().__init__(message or code)
        self.code, self.message, self.variables = code, message or code, variables or {}


class Resources(Protocol):
    """Files deployed with the model (policies, model files, templates), by name."""

    def __call__(self, name: str) -> bytes: ...


@dataclass
class HandlerContext:
    """Everything about the call except its inputs."""

    instance_id: str
    business_key: str | None
    activity_id: str
    attempt: int
    # Static configuration of this task: camunda:properties, zeebe:taskHeaders.
    config: dict = field(default_factory=dict)
    # Reads a file deployed with the model; raises KeyError naming the file if there is none.
    resource: Resources = lambda name: (_ for _ in ()).throw(KeyError(name))  # noqa: E731
    # Events for the audit history: (type, data). The engine writes them after the call.
    audit: list[tuple[str, dict]] = field(default_factory=list)
    # Who gave the command that runs the flow (None in the worker's runs: jobs, timers, retries).
    actor: Actor | None = None

    @cached_property
    def person(self) -> dict:
        """The acting person as policies see them (engine.identity.person: nobody when no one acts), worked
        out on first use, so a handler that never asks never runs the trust score; ValueError when
        FUSE_TRUST_SCORE fails for them (the call fails, as any handler error)."""
        return person_context(self.actor)

    def record(self, event_type: str, data: dict) -> None:
        """Leave something in the instance's history (a model's rationale, the policy rules that matched)."""
        self.audit.append((event_type, data))

    def secret(self, name: str) -> str:
        """A secret the operator configured (FUSE_SECRET_<NAME> or FUSE_SECRETS_FILE); KeyError if unset.
        Secrets are read at call time and never stored in variables or history."""
        return operator_values.secret(name)

    def setting(self, name: str) -> str:
        """A setting the operator configured (FUSE_SETTING_<NAME>); KeyError if unset."""
        return operator_values.setting(name)


Handler = Callable[[dict, HandlerContext], "dict | None"]


def outputs_of(result: Any) -> dict:
    """A handler's return value as output variables (None means none)."""
    if result is None:
        return {}
    if not isinstance(result, dict):
        raise TypeError(f"a handler must return a dict of outputs or None, not {type(result).__name__}")
    return result
