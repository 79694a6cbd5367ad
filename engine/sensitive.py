"""Which variables are sensitive, and masking them in what the history records.

Sensitive are variables whose name contains one of SENSITIVE_NAME_PARTS (case-insensitive; the
environment variable FUSE_SENSITIVE_VARIABLES adds more, comma-separated), at any depth of a
value, and the form fields marked sensitive in the forms of the instance's definition (paths like
"card.cvc"; "items[].pin" for every item of a list). The history shows such values as "***";
the instance's variables keep the real ones.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

MASK = "***"
SENSITIVE_NAME_PARTS = ("password", "secret", "token", "api_key", "apikey", "credential", "ssn", "card_number")
ENV_VARIABLE = "FUSE_SENSITIVE_VARIABLES"
# Data keys of history events that hold variables (names -> values) and are masked.
VARIABLE_FIELDS = ("variables", "set", "before", "inputs")
_VARIABLE_KEYS = frozenset(VARIABLE_FIELDS)
EACH_ITEM = "[]"


@lru_cache(maxsize=8)
def _name_pattern(extra: str) -> re.Pattern:
    parts = [*SENSITIVE_NAME_PARTS, *(p.strip() for p in extra.split(",") if p.strip())]
    return re.compile("|".join(re.escape(p) for p in parts), re.IGNORECASE)


def name_pattern() -> re.Pattern:
    """The names pattern, defaults plus FUSE_SENSITIVE_VARIABLES (read each time: tests change it)."""
    return _name_pattern(os.environ.get(ENV_VARIABLE, ""))


def field_path(path: str) -> tuple[str, ...]:
    """A form field path ("card.cvc", "items[].pin") as parts; "[]" stands for every list item."""
    return tuple(part for piece in path.split(".") for part in re.split(r"(\[\])", piece) if part)


@dataclass(frozen=True)
class SensitiveNames:
    """What to mask: names matching `pattern` anywhere, and the form field `paths`."""

    pattern: re.Pattern = field(default_factory=name_pattern)
    paths: frozenset[tuple[str, ...]] = frozenset()
    _names: dict = field(default_factory=dict, compare=False, hash=False, repr=False)  # name -> sensitive?

    def with_fields(self, paths) -> "SensitiveNames":
        added = frozenset(field_path(p) for p in paths)
        return self if added <= self.paths else SensitiveNames(self.pattern, self.paths | added)

    def mask(self, variables: dict) -> tuple[dict, list[str]]:
        """`variables` (plain JSON, not changed) with sensitive values masked, and the top-level names
        whose value was masked wholly or in part."""
        masked_names, result = [], {}
        for name, value in variables.items():
            masked = self._masked(value, (name,))
            if masked is not value:
                masked_names.append(name)
            result[name] = masked
        return result, masked_names

    def _masked(self, value, path: tuple[str, ...]):
        """The value with its sensitive parts masked; the same object when nothing was."""
        if self._sensitive(path):
            return MASK
        kind = type(value)
        if kind is dict:
            items = {k: self._masked(v, (*path, k)) for k, v in value.items()}
            return value if all(items[k] is value[k] for k in value) else items
        if kind is list:
            items = [self._masked(v, (*path, EACH_ITEM)) for v in value]
            return value if all(a is b for a, b in zip(items, value)) else items
        return value

    def _sensitive(self, path: tuple[str, ...]) -> bool:
        last = path[-1]
        by_name = self._names.get(last)
        if by_name is None:
            by_name = self._names[last] = last != EACH_ITEM and self.pattern.search(last) is not None
        return by_name or (bool(self.paths) and path in self.paths)


def variable_fields(data: dict) -> list[str]:
    """The keys of event data that hold variables."""
    if _VARIABLE_KEYS.isdisjoint(data):  # most events: activity entered, completed...
        return []
    return [key for key in VARIABLE_FIELDS if isinstance(data.get(key), dict)]


def mask_event_data(data: dict, names: SensitiveNames) -> dict:
    """Event data (its variables plain JSON) with sensitive values masked, in place; "masked" lists
    the names of the variables masked wholly or in part."""
    masked_names: set[str] = set()
    for key in variable_fields(data):
        data[key], names_here = names.mask(data[key])
        masked_names.update(names_here)
    if masked_names:
        data["masked"] = sorted(masked_names | set(data.get("masked") or []))
    return data
