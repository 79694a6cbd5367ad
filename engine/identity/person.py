"""The acting person as a policy sees it: who, in which groups, when and how they proved it, from where,
and the deployment's trust score for all that.

Policies (the `policy` handler, step-up requirements on user tasks) read this one dictionary, so a rule
such as `person.second_factor && person.auth_age_minutes <= 10.0` means the same wherever it is written.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from engine.identity.trust_score import trust_score
from engine.identity.users import Actor
from engine.store.models import utcnow

# Nobody acts (a job run by the worker, a timer): every check about a person fails closed.
NOBODY = {"user": "", "groups": [], "authenticated": False, "auth_time": None, "auth_age_minutes": None,
          "amr": [], "acr": None, "second_factor": False, "client_address": "", "trust_score": None}


def person_context(actor: Actor | None, now: datetime | None = None) -> dict:
    """The person behind `actor` as plain JSON-like values (CEL and the history take them as they are).

    `auth_age_minutes` is how long ago the person authenticated (None when unknown, e.g. an API token);
    `now` is naive UTC like the database's timestamps. `trust_score` is FUSE_TRUST_SCORE's number for the
    person (0 for nobody; None when the setting is unset); ValueError when that expression fails.
    """
    if actor is None:
        return {**NOBODY, "trust_score": trust_score(NOBODY)}
    now = now or utcnow()
    age = None if actor.auth_time is None else max(0.0, (now - actor.auth_time).total_seconds() / 60)
    person = {
        "user": actor.name,
        "groups": sorted(actor.groups),
        "authenticated": True,
        "auth_time": actor.auth_time.isoformat() + "Z" if actor.auth_time else None,
        "auth_age_minutes": age,
        "amr": list(actor.amr),
        "acr": actor.acr,
        "second_factor": actor.second_factor,
        "client_address": actor.client_address or "",
    }
    person["trust_score"] = trust_score(person)
    return person


def check_trust_score() -> None:
    """Run FUSE_TRUST_SCORE for a few sample people (strong and weak sign-ins, IPv4, IPv6, no address), so
    that an expression that does not compile, names unknown fields or gives no number stops the server at
    startup (ValueError) instead of failing policies later."""
    now = utcnow()
    samples = [
        Actor("sample", frozenset({"admin"}), now - timedelta(minutes=2), ("pwd", "otp"), "10.0.0.1"),
        Actor("sample", frozenset(), now - timedelta(hours=3), ("pwd",), "2001:db8::1"),
        Actor("sample", frozenset(), None, ("token",), None),
    ]
    for sample in samples:
        person_context(sample, now)
