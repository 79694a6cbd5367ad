"""FEEL's built-in context functions: `get value`, `get entries`, `context put`, `context merge`
and `context` (DMN 1.5: a key may be a list of keys reaching into nested contexts), with
Camunda's older names `put` and `put all`.

Promise, as FEEL wants it: wrong argument types give null rather than raising; keys starting
with '_' are never read (they are private, as in every FEEL path). The functions return new
contexts and never change the ones they are given.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

from bpmn.expressions.feel_collections import list_arguments
from bpmn.expressions.feel_values import is_list


def _public(key: Any) -> bool:
    return isinstance(key, str) and not key.startswith("_")


def _key_path(keys: Any) -> list[str] | None:
    """A key, or a non-empty list of keys, as a list; None when it is neither."""
    if isinstance(keys, str):
        return [keys]
    if is_list(keys) and keys and all(isinstance(key, str) for key in keys):
        return list(keys)
    return None


def _get_value(context: Any, keys: Any) -> Any:
    path = _key_path(keys)
    if not isinstance(context, Mapping) or path is None:
        return None
    value: Any = context
    for key in path:
        if not isinstance(value, Mapping) or not _public(key):
            return None
        value = value.get(key)
    return value


def _get_entries(context: Any) -> list | None:
    if not isinstance(context, Mapping):
        return None
    return [{"key": key, "value": value} for key, value in context.items() if _public(key)]


def _context_put(context: Any, keys: Any, value: Any) -> dict | None:
    """`context` with `value` at `keys`; missing (or non-context) contexts on the way are made."""
    path = _key_path(keys)
    if not isinstance(context, Mapping) or path is None:
        return None
    first, rest = path[0], path[1:]
    if rest:
        inner = context.get(first)
        value = _context_put(inner if isinstance(inner, Mapping) else {}, rest, value)
    return {**context, first: value}


def _context_merge(*contexts: Any) -> dict | None:
    contexts_list = list_arguments(contexts)
    if contexts_list is None or not all(isinstance(c, Mapping) for c in contexts_list):
        return None
    merged: dict = {}
    for context in contexts_list:
        merged.update(context)
    return merged


def _context(entries: Any) -> dict | None:
    """A context from a list of {key, value} contexts (a later key wins, as in Camunda)."""
    if not is_list(entries):
        return None
    result: dict = {}
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str) or "value" not in entry:
            return None
        result[entry["key"]] = entry["value"]
    return result


CONTEXT_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "get value": (_get_value, 2, 2),
    "get entries": (_get_entries, 1, 1),
    "context put": (_context_put, 3, 3),
    "put": (_context_put, 3, 3),
    "context merge": (_context_merge, 1, None),
    "put all": (_context_merge, 1, None),
    "context": (_context, 1, 1),
}
