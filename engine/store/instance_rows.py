"""A new instance's row written by one prepared INSERT rather than the ORM's unit of work.

Starting an instance writes its row once, with everything the command computed (state, variables, the head of
its history); SQLAlchemy's unit of work spends more Python on that one INSERT than the database does. The row
object then stays in the session as if it had been read, so that later changes to it are UPDATEs as usual.
"""
from __future__ import annotations

from sqlalchemy import inspect, insert
from sqlalchemy.orm import Session, make_transient_to_detached

from engine.store.models import ProcessInstance, utcnow

_TABLE = ProcessInstance.__table__
_INSERT = insert(_TABLE)
# What the ORM would have filled in for a column the object never set (the models' Python-side defaults).
_DEFAULTS = {"variables": dict, "active_activities": list, "lock_version": int, "history_seq": int,
             "waits_for_events": bool, "created_at": utcnow}


def write_pending_instance(session: Session, row: ProcessInstance) -> None:
    """INSERT `row` if it is new in the session (pending), and keep it there as persistent; else nothing."""
    if not inspect(row).pending:
        return
    values = {}
    for column in _TABLE.columns:
        if column.key not in row.__dict__:  # an attribute never set would be loaded from the database later
            setattr(row, column.key, _DEFAULTS.get(column.key, type(None))())
        values[column.key] = getattr(row, column.key)
    session.connection().execute(_INSERT, values)
    session.expunge(row)
    make_transient_to_detached(row)
    session.add(row)
