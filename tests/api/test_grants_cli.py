"""`fuse grant`: add, list, remove and the audit log, from the command line."""
from __future__ import annotations

from click.testing import CliRunner

from api.cli import main


def fuse(database_url, monkeypatch, *args: str, code: int = 0) -> str:
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_a_grant_is_added_listed_removed_and_logged(database_url, monkeypatch):
    added = fuse(database_url, monkeypatch, "grant", "add", "--group", "auditors", "--read", "refund")
    assert added.strip() == "grant 1: group auditors READ on process_definition refund"
    fuse(database_url, monkeypatch, "grant", "add", "--user", "bob", "--start", "*")
    listed = fuse(database_url, monkeypatch, "grant", "list")
    assert "group auditors READ on process_definition refund" in listed
    assert "user bob CREATE_INSTANCE on process_definition *" in listed
    assert "removed" in fuse(database_url, monkeypatch, "grant", "remove", "1")
    assert "auditors" not in fuse(database_url, monkeypatch, "grant", "list")
    log = fuse(database_url, monkeypatch, "grant", "log").splitlines()
    assert [line.split("  ")[1:] for line in log] == [
        ["cli", "granted 1: group auditors READ on process_definition refund"],
        ["cli", "granted 2: user bob CREATE_INSTANCE on process_definition *"],
        ["cli", "removed 1: group auditors READ on process_definition refund"]]


def test_grant_options_that_make_no_sense_are_refused(database_url, monkeypatch):
    fuse(database_url, monkeypatch, "grant", "add", "--read", "p", code=2)
    fuse(database_url, monkeypatch, "grant", "add", "--user", "a", "--group", "b", "--read", "p", code=2)
    fuse(database_url, monkeypatch, "grant", "add", "--user", "a", "--read", "p", "--start", "p", code=2)
    assert "authorization 9 does not exist" in fuse(database_url, monkeypatch, "grant", "remove", "9", code=1)
