"""Claiming rows (jobs, external tasks) for one worker when several ask at the same moment."""
from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.orm import Session


def claimable(session: Session, candidates: Select, entity):
    """What an `UPDATE … WHERE id IN (…) AND <still free>` should claim.

    On PostgreSQL the candidates are selected FOR UPDATE SKIP LOCKED, so a second worker passes by
    the rows the first one is claiming and takes the next ones (a plain sub-select would pick the
    same rows, wait for the first commit, then find them taken and claim nothing). SQLite has one
    writer at a time: the sub-select runs inside the UPDATE, under the write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(candidates.with_for_update(skip_locked=True, of=entity)))
    return candidates.scalar_subquery()
