"""Read-only fields: a form shows them, the process owns their values; a person's submission never sets them."""
from __future__ import annotations

import copy
from typing import Any

from forms.model import FormModel
from forms.paths import place_value, split_path

_ABSENT = object()


def read_only_paths(model: FormModel) -> list[list[str]]:
    """The data location of every read-only field (fields inside lists are left to the submission)."""
    return [split_path(path) for path, hints in model.ui_schema.get("fields", {}).items()
            if hints.get("readonly") and "[]" not in path]


def _value_at(data: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            return _ABSENT
        data = data[part]
    return data


def _remove(data: dict, parts: list[str]) -> None:
    parent = _value_at(data, parts[:-1])
    if isinstance(parent, dict):
        parent.pop(parts[-1], None)


def with_process_values(model: FormModel, submitted: dict, process_values: dict) -> dict:
    """The submission as the form is checked: read-only fields hold the process's values, whatever was sent,
    so a read-only and required field is satisfied by the value the process already has."""
    if not isinstance(submitted, dict):
        return submitted  # the check itself says what is wrong with it
    data = copy.deepcopy(submitted)
    for parts in read_only_paths(model):
        value = _value_at(process_values, parts)
        if value is _ABSENT:
            _remove(data, parts)
        else:
            place_value(data, parts, copy.deepcopy(value))
    return data


def without_read_only(model: FormModel, data: dict) -> dict:
    """The checked submission without the read-only fields: the process keeps what it has."""
    if not isinstance(data, dict):
        return data
    data = copy.deepcopy(data)
    for parts in read_only_paths(model):
        _remove(data, parts)
    return data
