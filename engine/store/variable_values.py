"""What a variable may hold, checked in one place by every way a value enters an instance.

A value must survive the round trip through the instance's stored state and its JSON columns on
SQLite and PostgreSQL: JSON-representable (the serializer's types - dates, UUIDs, sets - included),
finite numbers (PostgreSQL refuses NaN in JSON; SQLite stores it and then answers invalid JSON),
integers Python can print, no structure that refers to itself, nested no deeper than MAX_DEPTH
(deeper values overflow the stack of whoever reads them next), and bounded in size, one by one and
all together (FUSE_MAX_VARIABLE_BYTES, FUSE_MAX_VARIABLES_BYTES). Strings for text columns, such
as a business key, must not hold NUL, which PostgreSQL cannot store.

The walk is iterative and counts what it has seen, so a value built to be deep, cyclic or
exponentially shared is refused after bounded work instead of exhausting the stack or memory.
"""
from __future__ import annotations

import json
import math
import os
import sys
from types import ModuleType

from engine.errors import InvalidValue, VariableTooLarge
from engine.store.serialization import serializer

MAX_DEPTH = 100
DEFAULT_MAX_VARIABLE_BYTES = 1024 * 1024
DEFAULT_MAX_VARIABLES_BYTES = 10 * 1024 * 1024
_CONTAINERS = (dict, list, tuple, set, frozenset)
_KEY_TYPES = (str, int, float, bool, type(None))  # what JSON turns into an object key
# Python refuses to print longer integers (sys.set_int_max_str_digits): the state could not be written.
_MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300
_MAX_INT_BITS = int(_MAX_INT_DIGITS * math.log2(10)) - 4


def max_variable_bytes() -> int:
    """The largest one variable may be, serialized as JSON."""
    return int(os.environ.get("FUSE_MAX_VARIABLE_BYTES", DEFAULT_MAX_VARIABLE_BYTES))


def max_variables_bytes() -> int:
    """The largest all of an instance's variables may be together, serialized as JSON."""
    return int(os.environ.get("FUSE_MAX_VARIABLES_BYTES", DEFAULT_MAX_VARIABLES_BYTES))


def is_variable(value) -> bool:
    """False for what the serializer leaves out of a task's data (functions a script defined, modules)."""
    return not (callable(value) or isinstance(value, ModuleType))


class _Refused(Exception):
    """Why a value cannot be stored, without the variable's name (added by the caller)."""


def _leaf_problem(item) -> str | None:
    if isinstance(item, float) and not math.isfinite(item):
        return f"{item} is not a JSON number (only finite numbers can be stored)"
    if isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > _MAX_INT_BITS:
        return f"an integer of about {int(item.bit_length() / math.log2(10)):,} digits is too large to store"
    return None


def _size_floor(item) -> int:
    """At least how many bytes `item` itself adds to the JSON (its children apart)."""
    if isinstance(item, str):
        return len(item) + 2
    if isinstance(item, dict):
        return 2 + sum(len(k) + 4 if isinstance(k, str) else 4 for k in item)
    return 2


def _walk(value, limit: int) -> None:
    """Refuse (raise _Refused) what the module docstring rules out, except types JSON cannot encode
    (json.dumps names those); stops once the value is surely larger than `limit` bytes."""
    stack, on_path, seen = [(value, 1, False)], set(), 0
    while stack:
        item, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(item))
            continue
        seen += _size_floor(item)
        if seen > limit:
            raise VariableTooLarge(f"is more than the {limit:,} bytes allowed as JSON (FUSE_MAX_VARIABLE_BYTES)",
                                  limit=limit)
        if not isinstance(item, _CONTAINERS):
            if problem := _leaf_problem(item):
                raise _Refused(problem)
            continue
        if id(item) in on_path:
            raise _Refused("refers to itself (a structure that contains itself cannot be stored)")
        if depth > MAX_DEPTH:
            raise _Refused(f"is nested more than {MAX_DEPTH} levels deep")
        on_path.add(id(item))
        stack.append((item, depth, True))
        if isinstance(item, dict):
            if bad := next((k for k in item if not isinstance(k, _KEY_TYPES)), None):
                raise _Refused(f"has a key of type {type(bad).__name__} ({bad!r:.40}); keys must be strings")
            children = item.values()
        else:
            children = item
        stack.extend((child, depth + 1, False) for child in children)


def _encoded_size(value) -> int:
    try:
        text = json.dumps(value, cls=serializer()._encoder_cls, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise _Refused(f"cannot be stored as JSON ({err})") from None
    return len(text.encode())


def check_variable(name: str, value) -> int:
    """Refuse a value that cannot be stored (InvalidValue, VariableTooLarge naming the variable);
    returns its size in bytes as JSON."""
    limit = max_variable_bytes()
    try:
        _walk(value, limit)
        size = _encoded_size(value)
    except _Refused as why:
        raise InvalidValue(f"variable '{name}' {why}", variable=name) from None
    except VariableTooLarge as err:
        raise VariableTooLarge(f"variable '{name}' {err.detail}", variable=name, limit=limit) from None
    if size > limit:
        raise VariableTooLarge(f"variable '{name}' is {size:,} bytes as JSON, more than the {limit:,} allowed "
                               "(FUSE_MAX_VARIABLE_BYTES)", variable=name, limit=limit)
    return size


def check_variables(values: dict) -> int:
    """Check every value (see check_variable) and their total; returns the total in bytes."""
    if not isinstance(values, dict):
        raise InvalidValue("variables must be a JSON object of names to values")
    total = 0
    for name, value in values.items():
        if not isinstance(name, str):
            raise InvalidValue(f"variable names must be strings, not {type(name).__name__} ({name!r:.40})")
        if is_variable(value):
            total += len(name) + 4 + check_variable(name, value)
    check_total(total)
    return total


def check_total(total: int) -> None:
    """Refuse an instance whose variables together are larger than FUSE_MAX_VARIABLES_BYTES."""
    if total > (limit := max_variables_bytes()):
        raise VariableTooLarge(f"the instance's variables would be {total:,} bytes as JSON, more than the "
                               f"{limit:,} allowed (FUSE_MAX_VARIABLES_BYTES)", limit=limit)


def variables_size(variables: dict) -> int:
    """Bytes of a JSON-safe variables dict (the instance row's) as JSON."""
    return len(json.dumps(variables).encode())


def sort_variables(data: dict) -> tuple[int, dict[str, str]]:
    """(total bytes of the values in `data` that can be stored, {name: why} for those that cannot)."""
    total, refused = 0, {}
    for name, value in data.items():
        if is_variable(value):
            try:
                total += len(str(name)) + 4 + check_variable(str(name), value)
            except (InvalidValue, VariableTooLarge) as err:
                refused[name] = err.detail
    return total, refused


def check_text(field: str, value: str | None) -> None:
    """Refuse a string for a text column that PostgreSQL cannot store (a NUL character)."""
    if value is not None and "\x00" in value:
        raise InvalidValue(f"{field} must not contain a NUL character (\\u0000)", field=field)
