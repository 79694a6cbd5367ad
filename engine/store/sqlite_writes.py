"""SQLite writers take turns in order instead of retrying: one write transaction at a time per database file.

SQLite allows one writer; a second one that finds the file locked sleeps in SQLite's busy handler (1, 2, 5, ...
up to 100 ms at a time) and tries again, so with a few writers at once the unlucky ones wait for seconds
(measured: p99 of 1-2 s at 8 clients). Here a writer waits for a lock that the one before it hands over the
moment it commits: a thread lock between the threads of a process and an advisory file lock (flock) beside the
database between processes (`fuse serve --workers N`, `fuse worker`).

The lock is taken just before a transaction's first write. Python's sqlite3 opens the transaction there too
(reads before it run outside any transaction), so no transaction holds an old snapshot while it waits.
"""
from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time

# The statements before which sqlite3 opens a transaction (its legacy transaction control).
WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# Between processes the file lock is polled (flock cannot wait with a timeout); short, so a turn is not lost.
POLL_S = (0.0001, 0.0005)


class WriteTurns:
    """The turns of one database file: a thread lock, and a flock on `<file>-writer.lock` when it is a file."""

    def __init__(self, path: str | None):
        self.threads = threading.Lock()
        self.file = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600) if path else None

    def take(self, timeout_s: float) -> None:
        """Wait for this database's write turn; `database is locked` after the busy timeout, as SQLite says it."""
        deadline = time.monotonic() + timeout_s
        if not self.threads.acquire(timeout=timeout_s):
            raise sqlite3.OperationalError("database is locked")
        if self.file is None:
            return
        pause = POLL_S[0]
        while True:
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.threads.release()
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, POLL_S[1])

    def give(self) -> None:
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
        self.threads.release()


_turns: dict[str, WriteTurns] = {}
_turns_guard = threading.Lock()


def turns_for(database: str) -> WriteTurns:
    """The one WriteTurns of this process for a database file; an in-memory database (one per connection) has
    turns of its own."""
    path = database.removeprefix("file:").split("?")[0]
    if path in ("", ":memory:"):
        return WriteTurns(None)
    path = os.path.realpath(path)
    with _turns_guard:
        if path not in _turns:
            _turns[path] = WriteTurns(path)
        return _turns[path]


class TurnTakingConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions wait for the database's turn (given back at commit,
    rollback or close). Used as sqlite3's connection `factory` (engine.store.db)."""

    def __init__(self, database, *args, timeout: float = 5.0, **kwargs):
        super().__init__(database, *args, timeout=timeout, **kwargs)
        self.turns = turns_for(str(database))
        self.timeout_s = timeout
        self.holds_turn = False

    def cursor(self, factory=None):
        return super().cursor(factory or TurnTakingCursor)

    def take_turn(self, statement: str) -> None:
        if not self.holds_turn and not self.in_transaction and WRITES.match(statement):
            self.turns.take(self.timeout_s)
            self.holds_turn = True

    def give_turn(self) -> None:
        if self.holds_turn and not self.in_transaction:
            self.holds_turn = False
            self.turns.give()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.give_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.give_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.holds_turn:
                self.holds_turn = False
                self.turns.give()

    def execute(self, statement, *args):
        return self.cursor().execute(statement, *args)


class TurnTakingCursor(sqlite3.Cursor):
    def execute(self, statement, *args):
        self.connection.take_turn(statement)
        try:
            return super().execute(statement, *args)
        finally:
            self.connection.give_turn()  # only when no transaction is open: a write that failed before BEGIN

    def executemany(self, statement, *args):
        self.connection.take_turn(statement)
        try:
            return super().executemany(statement, *args)
        finally:
            self.connection.give_turn()
