"""Policies about the person against a real `fuse serve` (with FUSE_TRUST_SCORE set): an API token (no second
factor) starting a large refund lands on a step-up task assigned to that user; the same user signed in to
the pages with a password and a TOTP code gets it approved; the history shows both verdicts with the person
and the trust score the deployment gave them."""
from __future__ import annotations

import re

import pyotp
import requests

from e2e.support import HTTP_TIMEOUT_S
from helpers import csrf_of
from policy_people import EXAMPLE_TRUST_SCORE, refund_files

PASSWORD = "correct horse battery"
LARGE = {"definition_key": "refund", "variables": {"amount": 1500, "requester": "bob"}}


def sign_in_with_code(server, name: str, totp: pyotp.TOTP) -> requests.Session:
    """Password, then TOTP code, through the sign-in pages as a browser posts them."""
    browser = requests.Session()
    form = browser.get(server.url("/login"), timeout=HTTP_TIMEOUT_S)
    asked = browser.post(server.url("/login"), timeout=HTTP_TIMEOUT_S, data={
        "name": name, "password": PASSWORD, "csrf_token": csrf_of(form.content), "next": "/"})
    assert asked.status_code == 200 and 'name="code"' in asked.text, asked.text
    done = browser.post(server.url("/login/code"), timeout=HTTP_TIMEOUT_S, allow_redirects=False, data={
        "code": totp.now(), "csrf_token": csrf_of(asked.content), "next": "/"})
    assert done.status_code == 302, done.text
    return browser


def verdict(server, instance_id: str) -> dict:
    [found] = [e for e in server.history(instance_id) if e["type"] == "policy_evaluated"]
    return found["data"]


def test_step_up_routes_to_the_person_and_a_second_factor_goes_on(server):
    server.stop()
    server.env["FUSE_TRUST_SCORE"] = EXAMPLE_TRUST_SCORE
    server.start()
    assert server.deploy(*refund_files().items()).status_code == 201

    by_token = server.post("/api/v1/process-instances", "alice", json=LARGE)
    assert by_token.status_code == 201, by_token.text
    instance = by_token.json()
    assert [(t["activity_id"], t["assignee"]) for t in instance["open_tasks"]] == [("confirm", "alice")]
    assert instance["variables"]["step_up_user"] == "alice"
    assert instance["variables"]["step_up_reasons"] == ["refunds over 1000 need a second factor"]
    tasks = server.get("/api/v1/tasks?assignee=alice", "alice").json()["items"]
    assert [t["process_instance_id"] for t in tasks] == [instance["id"]]
    stepped = verdict(server, instance["id"])
    # A token: no second factor (0), proven just now (30), from 127.0.0.1, outside 10.0.0.0/8 (0).
    assert stepped["decision"] == "step_up" and stepped["person"] == {"user": "alice", "trust_score": 30.0}

    server.cli("user", "passwd", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    totp = pyotp.parse_uri(re.search(r"otpauth://\S+", server.cli("user", "totp", "alice")).group(0))
    browser = sign_in_with_code(server, "alice", totp)
    csrf = csrf_of(browser.get(server.url("/"), timeout=HTTP_TIMEOUT_S).content)
    started = browser.post(server.url("/api/v1/process-instances"), json=LARGE, headers={"X-CSRF-Token": csrf},
                           timeout=HTTP_TIMEOUT_S)
    assert started.status_code == 201, started.text
    assert started.json()["state"] == "completed" and started.json()["variables"]["outcome"] == "approved"
    allowed = verdict(server, started.json()["id"])
    assert allowed["decision"] == "allow" and allowed["person"] == {"user": "alice", "trust_score": 80.0}
