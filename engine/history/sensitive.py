"""Which variables are sensitive, and masking them in what the history records.

Sensitive are variables whose name has one of SENSITIVE_NAME_PARTS among its words (however the
name is written: camelCase, snake_case, kebab-case; the environment variable
FUSE_SENSITIVE_VARIABLES adds more, comma-separated), at any depth of a
value, and the form fields marked sensitive in the forms of the instance's definition (paths like
"card.cvc"; "items[].pin" for every item of a list). The history shows such values as "***";
the instance's variables keep the real ones.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from engine.history.chain import plain_json

MASK = "***"
SENSITIVE_NAME_PARTS = ("password", "secret", "token", "api_key", "apikey", "credential", "ssn", "card_number")
ENV_VARIABLE = "FUSE_SENSITIVE_VARIABLES"
# Data keys of history events that hold variables (names -> values) and are masked.
VARIABLE_FIELDS = ("variables", "set", "before", "inputs")
_VARIABLE_KEYS = frozenset(VARIABLE_FIELDS)
EACH_ITEM = "[]"
_NAME_CACHE_SIZE = 4096


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


def name_words(name: str) -> str:
    """A name as its lower-case words between underscores: "userPassword", "user-password" and
    "USER_PASSWORD" all read "_user_password_", so parts match whole words ("ssn" is not in
    "processName", "token" not in "tokenizer") however the name is written."""
    return f"_{_SEPARATORS.sub('_', _CAMEL.sub('_', name).lower()).strip('_')}_"


@lru_cache(maxsize=8)
def _name_pattern(extra: str) -> re.Pattern:
    parts = [*SENSITIVE_NAME_PARTS, *(p.strip() for p in extra.split(",") if p.strip())]
    # Each part as whole words (a plural too): "api_key" matches "apiKey" and "service_api_keys".
    words = (name_words(part).strip("_") for part in parts)
    return re.compile("_(?:" + "|".join(re.escape(w) for w in words) + ")s?_")


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
            if len(self._names) >= _NAME_CACHE_SIZE:  # names come from data (ids as keys...): keep it bounded
                self._names.clear()
            by_name = self._names[last] = last != EACH_ITEM and self.pattern.search(name_words(last)) is not None
        return by_name or (bool(self.paths) and path in self.paths)


def variable_fields(data: dict) -> list[str]:
    """The keys of event data that hold variables."""
    if _VARIABLE_KEYS.isdisjoint(data):  # most events: activity entered, completed...
        return []
    return [key for key in VARIABLE_FIELDS if isinstance(data.get(key), dict)]


def mask_event_data(data: dict, names: SensitiveNames) -> dict:
    """Event data with its variables taken as plain JSON (a copy: later changes to them do not reach
    the history) and sensitive values masked; `data` itself when it holds no variables. "masked"
    lists the names of the variables masked wholly or in part."""
    fields = variable_fields(data)
    if not fields:
        return data
    data, masked_names = dict(data), set()
    for key in fields:
        data[key], names_here = names.mask(plain_json(data[key]))
        masked_names.update(names_here)
    if masked_names:
        data["masked"] = sorted(masked_names | set(data.get("masked") or []))
    return data
