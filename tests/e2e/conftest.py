"""End-to-end fixtures: a real `fuse serve` process on the test database (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from e2e.browser import browser, page  # noqa: F401 - fixtures for the browser tests
from e2e.support import USERS, FuseServer


@pytest.fixture
def server(database_url, tmp_path):
    """`fuse serve` on a free port over the migrated test database, with users made by the CLI.

    Yields a FuseServer: base_url, tokens and headers by user (demo: admin+finance, alice: finance,
    bob: sales), HTTP helpers, and stop(kill=True) / start() to restart on the same database.
    """
    workdir = tmp_path / "server"
    workdir.mkdir()
    fuse = FuseServer(database_url, workdir)
    try:
        fuse.launch()  # boots while users and tokens are made
        fuse.add_users(USERS)
        fuse.wait_until_healthy()
        yield fuse
    finally:
        fuse.stop(kill=True)
