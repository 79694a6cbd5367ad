"""`fuse audit verify`: prints whether histories are intact, names the first broken link, exits 1 then."""
from __future__ import annotations

from click.testing import CliRunner
from api.cli import main
from engine.store.db import open_database
from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import start_instance
from helpers import one_script_process
from history_tamper import change_event

ADMIN = Actor("admin", frozenset({"admin"}))


def two_instances(database_url) -> list[str]:
    factory = open_database(database_url)
    with factory() as session:
        deploy(session, {"p.bpmn": one_script_process("x = 1")}, None, "admin")
        ids = [start_instance(session, ADMIN, definition_key="p").id for _ in range(2)]
        session.commit()
    factory.kw["bind"].dispose()
    return ids


def forge(database_url, instance_id: str, seq: int) -> None:
    factory = open_database(database_url)
    with factory() as session:
        change_event(session, instance_id, seq, actor="mallory")
        session.commit()
    factory.kw["bind"].dispose()


def test_verify_prints_intact_histories_and_exits_zero(database_url, monkeypatch):
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    first, _ = two_instances(database_url)
    result = CliRunner().invoke(main, ["audit", "verify", first])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"instance {first}: intact (") and "events)" in result.output
    every = CliRunner().invoke(main, ["audit", "verify", "--all"])
    assert every.exit_code == 0 and every.output.strip() == "2 instance(s) checked, 0 broken"


def test_verify_names_the_first_broken_link_and_exits_one(database_url, monkeypatch):
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    first, second = two_instances(database_url)
    forge(database_url, second, 3)
    intact = CliRunner().invoke(main, ["audit", "verify", first])
    assert intact.exit_code == 0
    broken = CliRunner().invoke(main, ["audit", "verify", second])
    assert broken.exit_code == 1
    assert broken.output.strip() == (f"instance {second}: BROKEN at event 3: "
                                     "the event's content does not match its hash (it was changed)")
    every = CliRunner().invoke(main, ["audit", "verify", "--all"])
    assert every.exit_code == 1
    assert every.output.splitlines() == [broken.output.strip(), "2 instance(s) checked, 1 broken"]


def test_verify_wants_an_instance_or_all_and_reports_unknown_ones(database_url, monkeypatch):
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    assert CliRunner().invoke(main, ["audit", "verify"]).exit_code == 2
    unknown = CliRunner().invoke(main, ["audit", "verify", "nope"])
    assert unknown.exit_code == 1 and "process instance nope does not exist" in unknown.output
