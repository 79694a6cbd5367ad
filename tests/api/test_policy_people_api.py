"""Policies about the person, through the API: a page session signed in with a password alone is routed to a
step-up task of its own; one that also gave a TOTP code (`fuse user totp`) goes on; the history shows both
verdicts with the person; a FUSE_TRUST_SCORE that does not work stops the app from being built."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner

from api.app import create_app
from api.cli import main
from helpers import csrf_of, deploy, sign_in_to_pages
from policy_people import refund_files

PASSWORD = "correct horse battery"
LARGE = {"definition_key": "refund", "variables": {"amount": 1500, "requester": "bob"}}


def fuse(database_url, monkeypatch, *args: str, stdin: str | None = None) -> str:
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def deployed(client, auth):
    response = deploy(client, auth["demo"], *refund_files().items())
    assert response.status_code == 201, response.json


@pytest.fixture
def totp(database_url, monkeypatch, auth):
    fuse(database_url, monkeypatch, "user", "passwd", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    uri = re.search(r"otpauth://\S+", fuse(database_url, monkeypatch, "user", "totp", "alice")).group(0)
    return pyotp.parse_uri(uri)


def start_from_the_pages(client) -> dict:
    """Start the large refund as the signed-in page session does (cookie + CSRF header)."""
    csrf = csrf_of(client.get("/").data)
    response = client.post("/api/v1/process-instances", json=LARGE, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201, response.json
    return response.json


def verdict(client, auth, instance_id: str) -> dict:
    history = client.get(f"/api/v1/process-instances/{instance_id}/history", headers=auth["demo"]).json
    [found] = [event["data"] for event in history if event["type"] == "policy_evaluated"]
    return found


def test_a_password_alone_is_routed_to_a_step_up_task_for_that_person(client, auth, deployed, database_url,
                                                                      monkeypatch):
    fuse(database_url, monkeypatch, "user", "passwd", "carol", "--password-stdin", stdin=PASSWORD + "\n")
    assert sign_in_to_pages(client, "carol", PASSWORD).status_code == 302  # carol has no second factor
    instance = start_from_the_pages(client)
    assert instance["state"] == "active"
    assert [(t["activity_id"], t["assignee"]) for t in instance["open_tasks"]] == [("confirm", "carol")]
    assert instance["variables"]["step_up_user"] == "carol"
    assert instance["variables"]["step_up_requires"] == {"second_factor": True, "max_auth_age_minutes": 10}
    mine = client.get("/api/v1/tasks?assignee=carol").json
    assert [t["activity_id"] for t in mine["items"]] == ["confirm"]
    found = verdict(client, auth, instance["id"])
    assert found["decision"] == "step_up" and found["person"] == {"user": "carol", "trust_score": None}
    assert [m["id"] for m in found["matched"]] == ["large-needs-second-factor"]


def test_a_session_that_gave_a_totp_code_goes_on(client, auth, deployed, totp):
    asked = sign_in_to_pages(client, "alice", PASSWORD)
    signed_in = client.post("/login/code", data={"code": totp.now(), "csrf_token": csrf_of(asked.data), "next": "/"})
    assert signed_in.status_code == 302
    instance = start_from_the_pages(client)
    assert instance["state"] == "completed" and instance["variables"]["outcome"] == "approved"
    found = verdict(client, auth, instance["id"])
    assert found["decision"] == "allow" and found["person"]["user"] == "alice"


def test_an_api_token_has_no_second_factor(client, auth, deployed):
    response = client.post("/api/v1/process-instances", json=LARGE, headers=auth["alice"])
    assert [(t["activity_id"], t["assignee"]) for t in response.json["open_tasks"]] == [("confirm", "alice")]


def test_the_trust_score_uses_the_client_address(client, auth, deployed, monkeypatch):
    monkeypatch.setenv("FUSE_TRUST_SCORE", "ip_in(person.client_address, ['10.0.0.0/8']) ? 80.0 : 10.0")
    body = {"definition_key": "refund", "variables": {"amount": 5, "requester": "bob"}}
    inside = client.post("/api/v1/process-instances", json=body, headers=auth["alice"],
                         environ_base={"REMOTE_ADDR": "10.2.3.4"}).json
    outside = client.post("/api/v1/process-instances", json=body, headers=auth["alice"]).json
    assert verdict(client, auth, inside["id"])["person"]["trust_score"] == 80.0
    assert verdict(client, auth, outside["id"])["person"]["trust_score"] == 10.0


@pytest.mark.parametrize(("expression", "message"), [
    ("person.second_factor ? 50.0 :", "FUSE_TRUST_SCORE does not compile"),
    ("'high'", "FUSE_TRUST_SCORE gave 'high' for 'sample', not a number"),
])
def test_a_trust_score_that_does_not_work_stops_the_app(database_url, monkeypatch, expression, message):
    monkeypatch.setenv("FUSE_TRUST_SCORE", expression)
    with pytest.raises(ValueError, match=message):
        create_app({"DATABASE_URL": database_url})


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker"]])
def test_fuse_serve_and_worker_refuse_a_broken_trust_score_in_one_clear_line(database_url, tmp_path, command):
    environment = {**os.environ, "FUSE_DATABASE_URL": database_url, "FUSE_LOG_FORMAT": "text",
                   "FUSE_TRUST_SCORE": "person.second_factor ? 'high' : 'low'"}
    result = subprocess.run([str(Path(sys.executable).with_name("fuse")), *command], cwd=tmp_path, env=environment,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("error: FUSE_TRUST_SCORE gave 'high' for 'sample', not a number (it should give "
                                     "a score from 0 to 100; in `person.second_factor ? 'high' : 'low'`)")
    assert "listening" not in (result.stdout + result.stderr).lower()
