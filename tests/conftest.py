"""Fixtures: every test that uses a database runs on SQLite, and on PostgreSQL when
FUSE_TEST_POSTGRES_URL is set (CI sets it; a server that cannot be reached fails the run)."""
from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from api.app import create_app
from api.extensions import db
from engine.store.db import open_database
from engine.identity.users import add_user, create_token
from engine.store.schema import upgrade_database

POSTGRES_URL = os.environ.get("FUSE_TEST_POSTGRES_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _postgres_schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """An empty, migrated database of each kind; PostgreSQL gets a schema of its own per test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/fuse.db"
        upgrade_database(url)
        yield url
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = _postgres_schema_url(schema)
    upgrade_database(url)
    yield url
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def sessions(database_url):
    """A session factory on the test database (for engine-level tests)."""
    factory = open_database(database_url)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def app(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


USERS = {"demo": ["admin", "finance"], "alice": ["finance"], "bob": ["sales"], "carol": [], "robot": ["worker"]}


@pytest.fixture
def auth(app):
    """Authorization headers by user name: demo (admin, finance), alice (finance), bob (sales), carol,
    robot (worker)."""
    headers = {}
    with app.app_context():
        for name, groups in USERS.items():
            add_user(db.session, name, groups)
            headers[name] = {"Authorization": f"Bearer {create_token(db.session, name)}"}
        db.session.commit()
    return headers
