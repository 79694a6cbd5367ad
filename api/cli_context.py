"""What every `fuse` command runs in: engine errors as one line, a database checked before use, a unit of work."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import NoReturn

import click
from sqlalchemy.orm import Session, sessionmaker

from api.database_state import schema_problem
from engine.errors import FuseError
from engine.store.db import open_database


def fail(message: str) -> NoReturn:
    """Say what went wrong in one line on stderr and exit 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@contextmanager
def reported_errors():
    """Engine errors become a clean message and exit status 1, never a traceback."""
    try:
        yield
    except FuseError as err:
        click.echo(f"error: {err.detail}", err=True)
        for item in err.extra.get("errors", []):
            where = f"{item.get('file') or ''}:{item.get('line') or '?'} {item.get('element_id') or ''}"
            click.echo(f"  {where.strip()}: {item['message']}", err=True)
        sys.exit(1)


def ready_database() -> sessionmaker[Session]:
    """Sessions on FUSE_DATABASE_URL once its schema is current; otherwise say why and how to fix it, and exit."""
    problem = schema_problem()
    if problem:
        fail(problem)
    return open_database()


@contextmanager
def unit_of_work():
    """A session on a checked database that commits on success and rolls back on any error."""
    session = ready_database()()
    try:
        with reported_errors():
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        session.close()
