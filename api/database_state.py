"""Which schema revision a database holds, read without changing it (not even creating an empty SQLite file).

The `fuse` commands check it before they touch a table, so a wrong folder or a forgotten `fuse db upgrade`
is one sentence with the fix rather than a traceback from the first query.
"""
from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from engine.store.db import database_url, is_sqlite
from engine.store.schema import alembic_config

FIX = "run `fuse db upgrade` to create it, or set FUSE_DATABASE_URL to the database you meant"


class DatabaseUnreachable(Exception):
    """The database could not be opened at all (no server, wrong credentials, unreadable file)."""


def describe(url: str | None = None) -> str:
    """The database URL as a person should see it: no password; a SQLite file as its absolute path."""
    url = database_url(url)
    path = sqlite_file(url)
    if path is not None:
        return f"sqlite:///{path.resolve()}"
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    if not is_sqlite(url):
        return None
    name = make_url(url).database
    return Path(name) if name and name != ":memory:" and not name.startswith("file:") else None


def current_revision(url: str | None = None) -> str | None:
    """The schema revision stored in the database; None when it has no schema (or, for SQLite, no file)."""
    url = database_url(url)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return None
    # A plain engine, without our SQLite pragmas: reading must not switch the file to WAL mode.
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as err:
        raise DatabaseUnreachable(f"cannot open the database {describe(url)}: {_first_line(err)}") from None
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest schema revision this version of Fuse knows."""
    return _scripts().get_current_head()


def schema_problem(url: str | None = None) -> str | None:
    """What keeps the database from being used, with the fix; None when its schema is current."""
    try:
        revision = current_revision(url)
    except DatabaseUnreachable as err:
        return str(err)
    if revision is None:
        return f"the database {describe(url)} has no Fuse schema: {FIX}"
    if revision == head_revision():
        return None
    if revision not in {script.revision for script in _scripts().walk_revisions()}:
        return (f"the database {describe(url)} has schema revision {revision}, which this Fuse does not know: "
                f"it was made by a newer Fuse")
    return (f"the database {describe(url)} has schema revision {revision} and this Fuse needs {head_revision()}: "
            f"run `fuse db upgrade`")


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _first_line(err: SQLAlchemyError) -> str:
    return str(err.orig if getattr(err, "orig", None) else err).strip().splitlines()[0]
