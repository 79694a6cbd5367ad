"""Waking workers that wait (long polling) for external tasks, without a database connection per waiter.

A fetch that finds nothing may wait for work: it gives its connection back and sleeps on WAKEUPS until
something changes the external_tasks table, then fetches again. What wakes it:
- in this process, the commit of any transaction that made a task fetchable (created, failed with retries
  left, unlocked, given retries: engine/tasks/external_tasks.py calls external_tasks_changed), by a SQLAlchemy
  `after_commit` hook. Locking tasks frees none, so a fetch wakes nobody;
- on PostgreSQL, the same commit in any other process on the database (another `fuse serve`, `fuse worker`):
  such a transaction also sends NOTIFY on CHANNEL, and one listener thread per process and database LISTENs
  on its own connection and wakes the local waiters;
- time: a task can become free with nobody writing (an expired lock, a retry timeout), and SQLite has no
  NOTIFY, so waiters also look again at an interval (RECHECK_S; on SQLite growing from 0.25 s to 2 s).
"""
from __future__ import annotations

import logging
import threading
import time

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger("fuse.external_tasks")
CHANNEL = "fuse_external_tasks"
_CHANGED = "fuse.external_tasks_changed"  # session.info: this transaction wrote external task rows
_NOTIFIED = "fuse.external_tasks_notified"  # session.info: and already sent NOTIFY
RECHECK_S = 2.0  # the longest a waiter sleeps without looking at the database
FIRST_RECHECK_S = 0.25


class Wakeups:
    """A generation counter that changes whenever external tasks may have become fetchable."""

    def __init__(self):
        self._condition = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        with self._condition:
            return self._generation

    def notify(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Sleep until the generation moves past `seen` (True) or `timeout` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._generation == seen:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True


WAKEUPS = Wakeups()


def external_tasks_changed(session: Session) -> None:
    """Say that this transaction makes external tasks fetchable (created, freed, given retries): its commit wakes
    the waiters of this process, and on PostgreSQL (NOTIFY, delivered at commit) those of every process."""
    session.info[_CHANGED] = True
    if session.get_bind().dialect.name == "postgresql" and not session.info.get(_NOTIFIED):
        session.connection().exec_driver_sql(f"NOTIFY {CHANNEL}")
        session.info[_NOTIFIED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_NOTIFIED, None)
    if session.info.pop(_CHANGED, False):
        WAKEUPS.notify()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_NOTIFIED, None)


class _Listener(threading.Thread):
    """LISTEN on CHANNEL on a connection of its own; every notification wakes this process's waiters."""

    def __init__(self, conninfo: str):
        super().__init__(name="fuse-external-task-listener", daemon=True)
        self.conninfo = conninfo

    def run(self) -> None:
        while True:
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    WAKEUPS.notify()  # anything committed while not listening is looked at now
                    for _ in connection.notifies():
                        WAKEUPS.notify()
            except psycopg.Error as err:
                log.warning("listening for external tasks failed (%s); waiters look again every %.0f s",
                            err, RECHECK_S)
                time.sleep(RECHECK_S)


_listeners: dict[str, _Listener] = {}
_listeners_lock = threading.Lock()


def listen_for_other_processes(engine: Engine) -> None:
    """Start (once per database) the listener that lets other processes' new tasks wake waiters here."""
    if engine.dialect.name != "postgresql":
        return
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with _listeners_lock:
        if conninfo not in _listeners:
            _listeners[conninfo] = _Listener(conninfo)
            _listeners[conninfo].start()


def recheck_after(attempt: int, dialect: str) -> float:
    """How long a waiter sleeps before its `attempt`-th look at the database (0-based) with no wake-up."""
    if dialect == "postgresql":
        return RECHECK_S
    return min(RECHECK_S, FIRST_RECHECK_S * (2 ** attempt))
