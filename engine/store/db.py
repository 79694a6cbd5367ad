"""Database connections: URL handling, SQLite pragmas and the one place sessions come from."""
from __future__ import annotations

import os

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker, Session

from engine.store.sqlite_writes import TurnTakingConnection

DEFAULT_DATABASE_URL = "sqlite:///fuse.db"
# A writer waits this long for another writer before giving up (SQLite locks the whole file).
SQLITE_BUSY_TIMEOUT_S = 30


def database_url(url: str | None = None) -> str:
    """The database URL to use: the argument, else FUSE_DATABASE_URL, else the embedded SQLite file."""
    return normalize_url(url or os.environ.get("FUSE_DATABASE_URL") or DEFAULT_DATABASE_URL)


def normalize_url(url: str) -> str:
    """Let users write plain postgresql:// URLs; we ship the psycopg (v3) driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_sqlite(url_or_engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(url_or_engine)
    return url.get_backend_name() == "sqlite"


def engine_options(url: str) -> dict:
    """Options for create_engine (also handed to Flask-SQLAlchemy)."""
    if is_sqlite(url):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False,
                                 "factory": TurnTakingConnection}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}


def configure_engine(engine: Engine) -> Engine:
    """Install per-connection settings; safe to call once per engine."""
    if is_sqlite(engine):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers run beside the one writer; NORMAL sync in WAL mode survives a process
    # crash (every commit is in the WAL before we answer) and skips an fsync per commit.
    synchronous = os.environ.get("FUSE_SQLITE_SYNCHRONOUS", "NORMAL")
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={'FULL' if synchronous.upper() == 'FULL' else 'NORMAL'}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_database(url: str | None = None) -> sessionmaker[Session]:
    """A session factory for code running outside Flask (CLI, worker, benchmarks, tests)."""
    url = database_url(url)
    engine = configure_engine(create_engine(url, **engine_options(url)))
    return sessionmaker(bind=engine, expire_on_commit=False)
