"""The rows every command writes - its instance, user tasks and their candidates - written by prepared Core
statements rather than the ORM's unit of work.

A command changes a handful of rows once each; SQLAlchemy's unit of work spends more Python sorting, diffing and
binding them than the database spends writing them. Here new rows are INSERTed (parents first), changed ones
UPDATEd by primary key with only their changed columns, and every object stays in the session as if read or
flushed, so that anything later in the command (or another class's rows) goes through the ORM as usual.
"""
from __future__ import annotations

from sqlalchemy import Table, and_, bindparam, inspect, insert, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from engine.store.models import ProcessInstance, TaskCandidate, UserTask

# Parents before children, for the foreign keys.
HOT_CLASSES = (ProcessInstance, UserTask, TaskCandidate)
_INSERTS = {cls: insert(cls.__table__) for cls in HOT_CLASSES}
_UPDATES: dict[tuple[Table, frozenset], object] = {}
_COLUMNS = {cls: {column.key: column for column in cls.__table__.columns} for cls in HOT_CLASSES}


def _default(column):
    """What the ORM would have filled in for a column the object never set (the model's Python-side default)."""
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def _insert_values(row, columns: dict) -> dict:
    values = {}
    for key, column in columns.items():
        if key not in row.__dict__:  # an attribute never set would be loaded from the database later
            setattr(row, key, _default(column))
        values[key] = row.__dict__[key]
    return values


def _update_statement(cls, keys: frozenset):
    statement = _UPDATES.get((cls, keys))
    if statement is None:
        table = cls.__table__
        where = and_(*(column == bindparam(f"pk_{column.key}") for column in table.primary_key.columns))
        statement = _UPDATES[(cls, keys)] = update(table).where(where).values(
            {key: bindparam(key) for key in keys})
    return statement


def _with_parents_keys(new: list) -> list:
    """`new`, with each new user task's candidates given the task's id (the ORM sets it while flushing), less
    candidates added to a task that is not new (the ORM's flush writes those, with their key)."""
    for row in new:
        if type(row) is UserTask:
            for candidate in row.__dict__.get("candidates", ()):
                candidate.task_id = row.id
    return [row for row in new if type(row) is not TaskCandidate or row.task_id is not None]


def write_pending(session: Session, new: list) -> None:
    """INSERT new objects of the hot classes, then keep them in the session as persistent."""
    new = _with_parents_keys(new)
    connection = session.connection()
    for cls in HOT_CLASSES:
        rows = [row for row in new if type(row) is cls]
        if rows:
            connection.execute(_INSERTS[cls], [_insert_values(row, _COLUMNS[cls]) for row in rows])
    for row in new:
        if row in session:  # expunging a user task expunges its candidates with it
            session.expunge(row)
    for row in new:
        make_transient_to_detached(row)
    for row in new:
        session.add(row)


def write_changed(session: Session, changed: list) -> None:
    """UPDATE the changed columns of each persistent object of the hot classes, by primary key."""
    connection = session.connection()
    for row in changed:
        cls = type(row)
        columns = _COLUMNS[cls]
        state = inspect(row)
        keys = frozenset(key for key in state.committed_state if key in columns)
        if not keys:
            continue
        values = {key: state.dict[key] for key in keys}
        params = {**values, **{f"pk_{column.key}": state.dict[column.key]
                               for column in cls.__table__.primary_key.columns}}
        connection.execute(_update_statement(cls, keys), params)
        if keys == state.committed_state.keys():
            # Everything that changed is written: the object is clean, as after the ORM's own flush (which
            # would otherwise still visit it, its "modified" flag being set, to find nothing to do).
            state._commit_all(state.dict, session.identity_map)
        else:  # a changed collection (candidates added to a stored task) is left to the ORM's flush
            for key, value in values.items():
                set_committed_value(row, key, value)


def write_rows(session: Session) -> None:
    """Write what the session holds of the hot classes, new and changed; the rest is left to the ORM's flush."""
    new = [row for row in session.new if type(row) in _INSERTS]
    changed = [row for row in session.dirty if type(row) in _INSERTS]
    if new:
        write_pending(session, new)
    if changed:
        write_changed(session, changed)
