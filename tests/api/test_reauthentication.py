"""Signing in again without an identity provider, for a step-up: `/login?next=…&max_age=…&second_factor=1`
while signed in is "Confirm it's you" with the user name fixed; the password, then the TOTP code, open a new
session with a fresh auth_time and amr; a user without a second factor is told how to set one up and is not
signed in; the forms are CSRF-protected like the sign-in."""
from __future__ import annotations

import re

import pyotp
import pytest
from click.testing import CliRunner

from api.cli import main
from helpers import csrf_of, sign_in_to_pages as sign_in

ME = "/api/v1/me"
PASSWORD = "correct horse battery"
STEP_UP = "/login?next=/tasks/t-1&max_age=600&second_factor=1"


def fuse(database_url, monkeypatch, *args: str, stdin: str | None = None) -> str:
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def passwords(auth, database_url, monkeypatch):
    for name in ("alice", "carol"):
        fuse(database_url, monkeypatch, "user", "passwd", name, "--password-stdin", stdin=PASSWORD + "\n")


def set_up_totp(database_url, monkeypatch, name: str) -> pyotp.TOTP:
    uri = re.search(r"otpauth://\S+", fuse(database_url, monkeypatch, "user", "totp", name)).group(0)
    return pyotp.parse_uri(uri)


def confirm(client, page: bytes, **fields):
    return client.post("/login", data={"csrf_token": csrf_of(page), "next": "/tasks/t-1", "password": PASSWORD,
                                       "second_factor": "1", "max_age": "600", **fields})


def test_confirming_with_password_and_code_opens_a_new_session_with_a_second_factor(client, passwords,
                                                                                    database_url, monkeypatch):
    assert sign_in(client, "alice", PASSWORD).status_code == 302  # before alice had a second factor
    totp = set_up_totp(database_url, monkeypatch, "alice")
    before = client.get(ME).json
    assert before["amr"] == ["pwd"]
    old_cookie = client.get_cookie("session").value
    page = client.get(STEP_UP)
    assert page.status_code == 200
    text = page.data.decode()
    assert "Confirm it's you" in text and 'value="alice"' in text and "readonly" in text
    assert 'name="second_factor" value="1"' in text and 'name="next" value="/tasks/t-1"' in text
    # The user name is the session's: a form naming someone else still confirms alice.
    code_form = confirm(client, page.data, name="carol")
    assert code_form.status_code == 200 and "Confirm it's you: code" in code_form.text
    assert client.get(ME).json["amr"] == ["pwd"]  # nothing changes before the code
    wrong = client.post("/login/code", data={"code": "000000" if totp.now() != "000000" else "111111",
                                             "csrf_token": csrf_of(code_form.data), "next": "/tasks/t-1"})
    assert wrong.status_code == 401
    done = client.post("/login/code", data={"code": totp.now(), "csrf_token": csrf_of(wrong.data),
                                            "next": "/tasks/t-1"})
    assert done.status_code == 302 and done.headers["Location"] == "/tasks/t-1"
    after = client.get(ME).json
    assert after["user"] == "alice" and after["amr"] == ["pwd", "otp"] and after["second_factor"] is True
    assert after["auth_time"] >= before["auth_time"]
    assert client.get_cookie("session").value != old_cookie


def test_a_user_without_a_second_factor_is_told_how_to_set_one_up_and_not_signed_in(client, passwords):
    assert sign_in(client, "carol", PASSWORD).status_code == 302
    before = client.get(ME).json
    page = client.get(STEP_UP)
    refused = confirm(client, page.data)
    assert refused.status_code == 403
    assert b"fuse user totp carol" in refused.data and "Confirm it's you" in refused.text
    assert client.get(ME).json == before  # the old session, as it was


def test_the_confirm_form_needs_its_csrf_token(client, passwords):
    assert sign_in(client, "carol", PASSWORD).status_code == 302
    client.get("/login?next=/&max_age=60")
    refused = client.post("/login", data={"csrf_token": "forged", "next": "/", "password": PASSWORD,
                                          "max_age": "60"})
    assert refused.status_code == 403 and b"expired" in refused.data


def test_a_fresh_sign_in_without_a_second_factor_asked_for_is_a_new_session(client, passwords):
    assert sign_in(client, "carol", PASSWORD).status_code == 302
    before = client.get(ME).json
    page = client.get("/login?next=/tasks/t-1&max_age=60")
    assert "Confirm it's you" in page.text and b'name="second_factor"' not in page.data
    done = client.post("/login", data={"csrf_token": csrf_of(page.data), "next": "/tasks/t-1",
                                       "password": PASSWORD, "max_age": "60"})
    assert done.status_code == 302 and done.headers["Location"] == "/tasks/t-1"
    assert client.get(ME).json["auth_time"] >= before["auth_time"]


def test_a_plain_sign_in_page_while_signed_in_still_lets_anyone_sign_in(client, passwords):
    assert sign_in(client, "carol", PASSWORD).status_code == 302
    page = client.get("/login")
    assert b"Confirm it" not in page.data and b"readonly" not in page.data
    assert client.post("/login", data={"csrf_token": csrf_of(page.data), "next": "/", "name": "alice",
                                       "password": PASSWORD}).status_code == 302
    assert client.get(ME).json["user"] == "alice"
