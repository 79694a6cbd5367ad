"""The variables an instance had at an earlier point, replayed from its history.

The history keeps every change of variables: the start's variables, then each `variables_changed`
(what an activity or a caller set and removed), messages and signals that brought variables in,
and rewinds (which replace them all). Values of sensitive variables are recorded as "***" (the
event lists such names under "masked"): those cannot be replayed, so they keep their current value.
"""
from __future__ import annotations

from typing import Callable

from engine.history.sensitive import MASK

_ABSENT = object()


def _unmasked(value, current):
    """`value` with every masked part taken from `current` (_ABSENT when it has none: the part is
    then left out)."""
    if value == MASK:
        return current
    if isinstance(value, dict):
        have = current if isinstance(current, dict) else {}
        parts = {key: _unmasked(item, have.get(key, _ABSENT)) for key, item in value.items()}
        return {key: item for key, item in parts.items() if item is not _ABSENT}
    if isinstance(value, list):
        have = current if isinstance(current, list) else []
        parts = [_unmasked(item, have[n] if n < len(have) else _ABSENT) for n, item in enumerate(value)]
        return [item for item in parts if item is not _ABSENT]
    return value


def _restored(values: dict, masked: list | None, current: dict) -> dict:
    """Recorded values, with those of masked names (all names when `masked` is None) unmasked."""
    restored = {}
    for name, value in values.items():
        if masked is None or name in masked:
            value = _unmasked(value, current.get(name, _ABSENT))
        if value is not _ABSENT:
            restored[name] = value
    return restored


def _masked_names(data: dict) -> list:
    return data.get("masked") or []


def _started(_variables: dict, data: dict, current: dict) -> dict:
    return _restored(data.get("variables") or {}, _masked_names(data), current)


def _changed(variables: dict, data: dict, current: dict) -> dict:
    result = {**variables, **_restored(data.get("set") or {}, _masked_names(data), current)}
    for name in data.get("removed") or []:
        result.pop(name, None)
    return result


def _received(variables: dict, data: dict, current: dict) -> dict:
    return {**variables, **_restored(data.get("variables") or {}, _masked_names(data), current)}


def _rewound(_variables: dict, data: dict, current: dict) -> dict:
    after = (data.get("variables") or {}).get("after") or {}
    return _restored(after, None if data.get("masked") else [], current)


# How each kind of event changes the variables: (variables so far, event data, current) -> variables.
REPLAY: dict[str, Callable[[dict, dict, dict], dict]] = {
    "instance_started": _started,
    "variables_changed": _changed,
    "message_received": _received,
    "signal_received": _received,
    "instance_rewound": _rewound,
}


def last_entry(events: list, activity_id: str):
    """The last `activity_entered` event of an activity, or None if it was never entered."""
    return next((e for e in reversed(events) if e.type == "activity_entered" and e.activity_id == activity_id),
                None)


def variables_before(events: list, seq: int, current: dict) -> dict:
    """The variables as they were just before event `seq`; `current` fills in masked values."""
    variables: dict = {}
    for event in events:
        if event.seq >= seq:
            break
        if (replay := REPLAY.get(event.type)) is not None:
            variables = replay(variables, event.data or {}, current)
    return variables
