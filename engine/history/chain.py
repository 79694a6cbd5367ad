"""The hash chain that makes an instance's history tamper-evident.

Every event carries the hash of the event before it (`prev_hash`, None for the first) and its own
`hash`: the SHA-256 (hex) of the canonical JSON array

    [instance_id, seq, at, type, activity_id, activity_name, actor, data, prev_hash]

written with sorted keys, no spaces and ASCII escapes, `at` as naive UTC ISO 8601 with
microseconds ("2025-01-31T09:30:00.000000"). The instance row keeps the newest hash
(`history_head`), so removing the newest event breaks the chain as surely as changing or
removing any other.

The canonical form is what a database gives back, not what Python had in hand: variables in event
data are taken as plain JSON when recorded (dates become ISO strings, tuples lists), and the JSON
columns keep JSON text as written (SQLite TEXT, PostgreSQL `json`, not `jsonb`), so numbers read
back exactly as they were hashed (1.0 stays 1.0, 0.1 stays 0.1); both timestamp columns keep
microseconds.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

HASHED_FIELDS = ("instance_id", "seq", "at", "type", "activity_id", "activity_name", "actor", "data", "prev_hash")


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return str(value)


# Built once: json.dumps with options builds an encoder per call, on the hot path of every event.
_PLAIN = json.JSONEncoder(default=_json_default)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain_json(value: Any) -> Any:
    """`value` as it comes back from a JSON column: only dicts with str keys, lists, str, numbers,
    booleans and None; a copy, so later changes to the original do not reach the history."""
    if type(value) is dict and all(type(k) is str and type(v) in _SCALARS for k, v in value.items()):
        return dict(value)  # the common case, a flat dict of plain values: no round trip needed
    return json.loads(_PLAIN.encode(value))


def canonical_at(at: datetime) -> str:
    """A timestamp as hashed: naive UTC with microseconds (what both databases keep)."""
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def event_hash(fields: dict) -> str:
    """The hash of an event given as a mapping with the HASHED_FIELDS (its data plain JSON)."""
    canonical = [fields[name] for name in HASHED_FIELDS]
    canonical[2] = canonical_at(canonical[2])
    return hashlib.sha256(_CANONICAL.encode(canonical).encode("ascii")).hexdigest()


def chain_rows(rows: list[dict], head: str | None) -> str | None:
    """Link `rows` (in seq order) after `head`: sets each row's prev_hash and hash; the new head."""
    for row in rows:
        row["prev_hash"] = head
        row["hash"] = head = event_hash(row)
    return head
