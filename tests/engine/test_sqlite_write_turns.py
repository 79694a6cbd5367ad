"""SQLite writers take turns (engine.store.sqlite_writes): between threads and between processes, a waiting
writer gets the database when the one before commits, readers never wait, and a turn that is never given back
ends in SQLite's own "database is locked" after the busy timeout, not in a wait forever."""
from __future__ import annotations

import fcntl
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from engine.store.sqlite_writes import TurnTakingConnection

HOLD_S = 1.0


def connect(path, timeout: float = 30.0) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=timeout, factory=TurnTakingConnection, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "turns.db"
    with connect(path) as setup:
        setup.execute("CREATE TABLE t (writer INTEGER, n INTEGER)")
    return path


def test_writers_on_many_threads_all_get_their_turn(database):
    def write(writer: int) -> None:
        connection = connect(database)
        for n in range(40):
            connection.execute("INSERT INTO t VALUES (?, ?)", (writer, n))
            connection.execute("UPDATE t SET n = n WHERE writer = ?", (writer,))
            connection.commit()
        connection.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    assert connect(database).execute("SELECT count(*) FROM t").fetchone() == (320,)


def test_a_writer_waits_for_another_process_and_readers_do_not(database):
    holder = subprocess.Popen([sys.executable, "-c", f"""
import sqlite3, sys, time
from engine.store.sqlite_writes import TurnTakingConnection
c = sqlite3.connect({str(database)!r}, factory=TurnTakingConnection)
c.execute("INSERT INTO t VALUES (0, 0)")
print("holding", flush=True)
time.sleep({HOLD_S})
c.commit()
"""], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    with open(f"{database}-writer.lock", "rb") as turn:  # the other process holds the turn, not only SQLite's lock
        with pytest.raises(BlockingIOError):
            fcntl.flock(turn, fcntl.LOCK_EX | fcntl.LOCK_NB)
    began = time.monotonic()
    reader = connect(database)
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)  # not waiting, and not seeing it yet
    assert time.monotonic() - began < HOLD_S / 2
    writer = connect(database)
    writer.execute("INSERT INTO t VALUES (1, 0)")
    writer.commit()
    assert time.monotonic() - began >= HOLD_S * 0.8  # it waited for the other process's commit
    assert holder.wait(timeout=10) == 0
    assert reader.execute("SELECT writer FROM t ORDER BY rowid").fetchall() == [(0,), (1,)]


def test_a_turn_never_given_back_ends_in_database_is_locked(database):
    stuck = connect(database, timeout=0.5)
    stuck.execute("INSERT INTO t VALUES (0, 0)")  # and no commit
    waiting = connect(database, timeout=0.5)
    failed: list[Exception] = []

    def write() -> None:
        try:
            waiting.execute("INSERT INTO t VALUES (1, 0)")
        except sqlite3.OperationalError as err:
            failed.append(err)

    began = time.monotonic()
    thread = threading.Thread(target=write)
    thread.start()
    thread.join(timeout=10)
    assert [str(e) for e in failed] == ["database is locked"] and time.monotonic() - began < 3
    stuck.commit()
    waiting.execute("INSERT INTO t VALUES (1, 0)")  # its turn now
    waiting.commit()
    assert waiting.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_a_failed_transaction_gives_the_turn_back_at_rollback(database):
    first, second = connect(database, timeout=1), connect(database, timeout=1)
    first.execute("INSERT INTO t VALUES (0, 0)")
    with pytest.raises(sqlite3.OperationalError):
        first.execute("INSERT INTO missing VALUES (1)")
    first.rollback()
    second.execute("INSERT INTO t VALUES (1, 0)")
    second.commit()
    assert second.execute("SELECT writer FROM t").fetchall() == [(1,)]
