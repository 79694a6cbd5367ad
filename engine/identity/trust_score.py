"""The deployment's trust score for a person: one CEL expression over `person`, set by the operator.

FUSE_TRUST_SCORE, e.g. `(person.second_factor ? 50.0 : 0.0) + (ip_in(person.client_address, ["10.0.0.0/8"])
? 50.0 : 0.0)`, is compiled once (per distinct text) and gives a number, kept within 0..100; anything else
(true, a string, null, NaN) is an error naming the setting. Unset, there is no score (None). Nobody (a job
run by the worker, a timer) has proven nothing: the lowest score, without running the expression.
"""
from __future__ import annotations

import math
import os
from functools import lru_cache

import cel

from engine.scripting.cel_functions import cel_context, failure_text

TRUST_SCORE_VARIABLE = "FUSE_TRUST_SCORE"
LOWEST, HIGHEST = 0.0, 100.0


def trust_score_source() -> str:
    """The configured expression ("" when unset); read each time, so tests and restarts see changes."""
    return os.environ.get(TRUST_SCORE_VARIABLE, "").strip()


@lru_cache(maxsize=8)
def _program(source: str) -> cel.Program:
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ValueError(f"{TRUST_SCORE_VARIABLE} does not compile: {exc}") from None
    unknown = sorted(set(program.variables()) - {"person"})
    if unknown:
        raise ValueError(f"{TRUST_SCORE_VARIABLE} uses {', '.join(unknown)}: the only variable it has is `person` "
                         "(user, groups, authenticated, auth_time, auth_age_minutes, amr, second_factor, "
                         "client_address)")
    return program


def trust_score(person: dict) -> float | None:
    """The score (0..100) of a person as engine.identity.person describes it, None when no expression is set;
    ValueError when the expression fails or gives something other than a number."""
    source = trust_score_source()
    if not source:
        return None
    program = _program(source)
    if not person.get("authenticated"):
        return LOWEST
    try:
        value = program.execute(cel_context({"person": person}))
    except Exception as exc:  # noqa: BLE001 - KeyError, TypeError, RuntimeError...: every CEL failure
        raise ValueError(f"{TRUST_SCORE_VARIABLE} failed for {person.get('user')!r}: {failure_text(exc)} "
                         f"(in `{source}`)") from exc
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{TRUST_SCORE_VARIABLE} gave {value!r} for {person.get('user')!r}, not a number "
                         f"(it should give a score from {LOWEST:g} to {HIGHEST:g}; in `{source}`)")
    return min(HIGHEST, max(LOWEST, float(value)))
