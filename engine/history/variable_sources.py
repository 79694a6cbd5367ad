"""Where each variable's value came from: the history event that last set it, and what backed it.

The instance row keeps {name: {"seq": n, "activity_id": id, "evidence": [{"type", "seq"}]}}: `seq`
is the event that set (or removed) the variable, `evidence` the events a handler recorded at that
activity on the way (`policy_evaluated` rules, an `ai_inference`, an `http_called`). A
`gateway_decided` event gets the sources of the variables its conditions read, so a branch taken
on a policy decision or a model's label points at the event that made it.

Sources are worked out as events get their seq numbers (when the history is flushed), before the
events are hashed.
"""
from __future__ import annotations

# Event type -> data fields naming the variables it sets (dict keys) or removes (a list).
SETTING_FIELDS = {
    "instance_started": ("variables",),
    "variables_changed": ("set", "removed"),
    "message_received": ("variables",),
    "signal_received": ("variables",),
}
DECISION = "gateway_decided"
HANDLER_ACTOR = "handler:"
# Events a handler's actor carries that the engine, not the handler, recorded.
NOT_EVIDENCE = frozenset({"handler_called", "activity_entered", "activity_completed", "activity_cancelled"})


def needs_sources(rows: list[dict]) -> bool:
    return any(row["type"] in SETTING_FIELDS or row["type"] == DECISION for row in rows)


def track_sources(rows: list[dict], sources: dict) -> bool:
    """Update `sources` from `rows` (in seq order) and fill in the sources of gateway decisions;
    True if `sources` changed."""
    changed = False
    evidence: dict[str | None, list[dict]] = {}
    for row in rows:
        kind, data = row["type"], row["data"] or {}
        if kind in SETTING_FIELDS:
            source = {"seq": row["seq"], "activity_id": row["activity_id"]}
            if backing := evidence.pop(row["activity_id"], None):
                source["evidence"] = backing
            for field in SETTING_FIELDS[kind]:
                for name in data.get(field) or ():
                    sources[name] = source
                    changed = True
        elif kind == DECISION:
            data["sources"] = {name: sources[name] for name in data.get("inputs") or {} if name in sources}
        elif (row["actor"] or "").startswith(HANDLER_ACTOR) and kind not in NOT_EVIDENCE:
            evidence.setdefault(row["activity_id"], []).append({"type": kind, "seq": row["seq"]})
    return changed
