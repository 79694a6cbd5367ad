"""The `fuse` command on a database without Fuse's schema: one sentence naming the database and the fix,
and nothing created behind the user's back."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

from engine.store.schema import alembic_config
from helpers import REFUND_BPMN

FUSE = Path(sys.executable).with_name("fuse")
POSTGRES_URL = os.environ.get("FUSE_TEST_POSTGRES_URL")
CLI_TIMEOUT_S = 60
COMMANDS_THAT_NEED_A_SCHEMA = [
    ["user", "list"], ["user", "add", "ann"], ["token", "create", "ann"], ["token", "list", "ann"],
    ["token", "revoke", "1"], ["deploy", str(REFUND_BPMN)], ["audit", "verify", "--all"],
    ["serve", "--port", "0"], ["worker"],
]


def fuse(args: list[str], cwd: Path, database_url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FUSE_DATABASE_URL"}
    if database_url:
        env["FUSE_DATABASE_URL"] = database_url
    return subprocess.run([str(FUSE), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S)


def assert_refused_for_missing_schema(result: subprocess.CompletedProcess, database: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "has no Fuse schema" in line and database in line
    assert "fuse db upgrade" in line and "FUSE_DATABASE_URL" in line


@pytest.mark.parametrize("args", COMMANDS_THAT_NEED_A_SCHEMA, ids=lambda args: " ".join(args[:2]).split("/")[0])
def test_a_command_in_an_empty_folder_names_the_database_and_the_fix_and_creates_nothing(tmp_path, args):
    result = fuse(args, cwd=tmp_path)
    assert_refused_for_missing_schema(result, f"sqlite:///{tmp_path.resolve()}/fuse.db")
    assert list(tmp_path.iterdir()) == []


def test_db_upgrade_says_it_created_the_schema_then_that_it_is_up_to_date(tmp_path):
    created = fuse(["db", "upgrade"], cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created the database schema")
    assert f"{tmp_path.resolve()}/fuse.db" in created.stdout
    again = fuse(["db", "upgrade"], cwd=tmp_path)
    assert "is up to date" in again.stdout
    assert fuse(["user", "list"], cwd=tmp_path).returncode == 0


def test_an_old_schema_is_refused_until_db_upgrade_names_both_revisions(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    command.upgrade(alembic_config(url), "0009")
    refused = fuse(["user", "list"], cwd=tmp_path, database_url=url)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "revision 0009" in refused.stderr and "fuse db upgrade" in refused.stderr
    upgraded = fuse(["db", "upgrade"], cwd=tmp_path, database_url=url)
    assert "from revision 0009 to " in upgraded.stdout
    assert fuse(["user", "list"], cwd=tmp_path, database_url=url).returncode == 0


@pytest.mark.skipif(not POSTGRES_URL, reason="FUSE_TEST_POSTGRES_URL is not set")
def test_an_empty_postgresql_schema_is_named_without_its_password(tmp_path):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        url = make_url(POSTGRES_URL).set(password="not-to-be-shown", query={"options": f"-csearch_path={schema}"})
        result = fuse(["user", "list"], cwd=tmp_path, database_url=url.render_as_string(hide_password=False))
        assert_refused_for_missing_schema(result, "***@")
        assert "not-to-be-shown" not in result.stderr
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
