"""The open user-task rows of each instance a transaction saved, as the save left them: an answer built in
the same transaction (the instance and its open tasks, after a start or a completion) lists them without
reading them back. Forgotten at commit and rollback, so it never outlives what it describes."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "fuse.open_tasks"


def remember_open_tasks(session: Session, instance_id: str, rows: list) -> None:
    session.info.setdefault(_KEY, {})[instance_id] = sorted(rows, key=lambda row: row.created_at)


def remembered_open_tasks(session: Session, instance_id: str) -> list | None:
    """The instance's open task rows as its last save in this transaction left them; None if it saved none."""
    return session.info.get(_KEY, {}).get(instance_id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous) -> None:
    session.info.pop(_KEY, None)
