"""The types clients declared for an instance's variables, kept beside the variables.

Variables are stored as JSON, which cannot tell a Long from an Integer, a date from a string, or a
Camunda `Json` value from an object. A client that declares a type when it writes a variable (Camunda 7's
{"value", "type", "valueInfo"}) expects to read the same type back, so the declaration is kept per
instance in `process_instances.variable_types` as {name: {"type": ..., "valueInfo": {...}}}.

The engine neither reads nor enforces these: a process (a script, a service task) may later give a
variable a value of another kind, so whoever turns a value into a typed one checks that the declared type
still fits the current value and otherwise infers one from the value. Changing or removing a variable through
engine.instances.commands.patch_variables forgets what was declared for it (a caller that declares a type
records it afterwards), so a value written through /api/v1 gets the type its value implies.
"""
from __future__ import annotations

from collections.abc import Iterable

from engine.store.models import ProcessInstance


def declared_types(row: ProcessInstance) -> dict[str, dict]:
    """{name: {"type", "valueInfo"}} for the variables a client wrote with a declared type."""
    return dict(row.variable_types or {})


def remember_types(row: ProcessInstance, types: dict[str, dict | None]) -> None:
    """Record declared types by name; None for a name forgets its declaration (it was written untyped)."""
    kept = declared_types(row)
    for name, declared in types.items():
        if declared is None:
            kept.pop(name, None)
        else:
            kept[name] = declared
    row.variable_types = kept or None


def forget_types(row: ProcessInstance, names: Iterable[str]) -> None:
    remember_types(row, dict.fromkeys(names))
