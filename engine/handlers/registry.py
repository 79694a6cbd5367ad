"""Handlers by name: Fuse's built-ins, the `fuse.handlers` entry-point group, and FUSE_HANDLERS modules."""
from __future__ import annotations

import importlib
import os
from functools import lru_cache
from importlib.metadata import entry_points

from engine.handlers.base import Handler

ENTRY_POINT_GROUP = "fuse.handlers"
# module:attribute of each built-in handler; imported only when first used.
BUILTINS = {
    "http": "engine.handlers.http:handle",
    "ai": "engine.handlers.ai:handle",
    "policy": "engine.handlers.policy:handle",
    "notify": "engine.handlers.notify:handle",
    "ai-feedback": "engine.handlers.ai_feedback:handle",
}
_registered: dict[str, Handler] = {}


def register(name: str):
    """Decorator for user modules: `@register("charge-card") def charge(inputs, context): ...`."""
    def wrap(handler: Handler) -> Handler:
        _registered[name] = handler
        return handler
    return wrap


def _load(target: str) -> Handler:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


@lru_cache(maxsize=1)
def _discovered() -> dict[str, str]:
    """Entry points of installed packages, then FUSE_HANDLERS (comma-separated name=module:attr or
    modules that call @register when imported)."""
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    for item in filter(None, (part.strip() for part in os.environ.get("FUSE_HANDLERS", "").split(","))):
        name, sep, target = item.partition("=")
        if sep:
            found[name.strip()] = target.strip()
        else:
            importlib.import_module(item)  # registers through @register
    return found


def find_handler(name: str) -> Handler | None:
    """The handler registered under `name`, or None (the task then waits for an external worker)."""
    if name in _registered:
        return _registered[name]
    target = _discovered().get(name) or BUILTINS.get(name)
    if target is None:
        return _registered.get(name)
    handler = _load(target)
    _registered[name] = handler
    return handler


def known_handler_names() -> set[str]:
    return set(BUILTINS) | set(_discovered()) | set(_registered)
