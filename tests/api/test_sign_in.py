"""Signing in to the pages: with a password (Argon2, set by `fuse user passwd`) or an API token, a TOTP code
after it when the user has one (`fuse user totp`); sessions record when and how (GET /api/v1/me), and
signing out ends the session on the server, so a copy of the cookie is dead afterwards."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from api.app import create_app
from api.cli import main
from api.extensions import db
from engine.identity.web_sessions import LIFETIME
from engine.store.models import ApiToken, User, WebSession, utcnow
from helpers import csrf_of, sign_in_to_pages as sign_in

ME = "/api/v1/me"
PASSWORD = "correct horse battery"
SESSION_COOKIE = "session"


def fuse(database_url, monkeypatch, *args: str, stdin: str | None = None) -> str:
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def enter_code(client, page: bytes, code: str):
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_of(page), "next": "/"})


def token_of(auth, name: str) -> str:
    return auth[name]["Authorization"].split()[1]


@pytest.fixture
def with_password(app, auth, database_url, monkeypatch):
    fuse(database_url, monkeypatch, "user", "passwd", "alice", "--password-stdin", stdin=PASSWORD + "\n")


def test_a_copied_session_cookie_is_dead_after_sign_out(app, client, auth):
    assert sign_in(client, "alice", token_of(auth, "alice"), field="token").status_code == 302
    copied = client.get_cookie(SESSION_COOKIE).value
    assert client.get(ME).json["user"] == "alice"
    page = client.get("/")
    assert client.post("/logout", data={"csrf_token": csrf_of(page.data)}).status_code == 302

    thief = app.test_client()
    thief.set_cookie(SESSION_COOKIE, copied)
    refused = thief.get(ME)
    assert refused.status_code == 401 and refused.content_type == "application/problem+json"
    assert thief.get("/").headers["Location"].startswith("/login")


def test_passwords_are_stored_as_argon2_hashes_and_tokens_as_hashes(app, auth, with_password):
    with app.app_context():
        alice = db.session.scalars(select(User).where(User.name == "alice")).one()
        assert alice.password_hash.startswith("$argon2id$") and PASSWORD not in alice.password_hash
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token_of(auth, "alice") not in stored and all(len(h) == 64 for h in stored)


def test_sign_in_with_a_password_records_pwd(client, with_password):
    assert sign_in(client, "alice", "wrong password").status_code == 401
    assert sign_in(client, "bob", PASSWORD).status_code == 401  # someone else's password
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    me = client.get(ME).json
    assert me["user"] == "alice" and me["groups"] == ["finance"]
    assert me["amr"] == ["pwd"] and me["second_factor"] is False and me["auth_time"].endswith("Z")


def test_sign_in_with_a_token_still_works_and_a_bearer_token_says_token(client, auth):
    assert sign_in(client, "bob", token_of(auth, "bob"), field="token").status_code == 302
    assert client.get(ME).json["amr"] == ["token"]
    api = client.application.test_client().get(ME, headers=auth["demo"]).json
    assert api["user"] == "demo" and api["amr"] == ["token"] and api["groups"] == ["admin", "finance"]


def test_totp_second_factor_is_asked_after_the_password(client, database_url, monkeypatch, with_password):
    out = fuse(database_url, monkeypatch, "user", "totp", "alice")
    uri = re.search(r"otpauth://\S+", out).group(0)
    totp = pyotp.parse_uri(uri)
    assert f"secret: {totp.secret}" in out and "issuer=Fuse" in uri

    asked = sign_in(client, "alice", PASSWORD)
    assert asked.status_code == 200 and b'name="code"' in asked.data
    assert client.get(ME).status_code == 401  # the password alone signs nobody in
    wrong = enter_code(client, asked.data, "000000" if totp.now() != "000000" else "111111")
    assert wrong.status_code == 401
    code = totp.now()
    assert enter_code(client, wrong.data, code).status_code == 302
    me = client.get(ME).json
    assert me["amr"] == ["pwd", "otp"] and me["second_factor"] is True

    # The same code cannot sign in a second time (someone who watched it being typed).
    again = sign_in(client.application.test_client(), "alice", PASSWORD)
    replay_client = client.application.test_client()
    asked = sign_in(replay_client, "alice", PASSWORD)
    assert enter_code(replay_client, asked.data, code).status_code == 401
    assert again.status_code == 200


def test_the_code_step_cannot_be_skipped_or_reused_without_the_password(client, database_url, monkeypatch,
                                                                         with_password):
    fuse(database_url, monkeypatch, "user", "totp", "alice")
    form = client.get("/login")
    skipped = client.post("/login/code", data={"code": "123456", "csrf_token": csrf_of(form.data), "next": "/"})
    assert skipped.status_code == 401 and client.get(ME).status_code == 401


def test_passwd_refuses_a_short_password(database_url, monkeypatch, auth):
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["user", "passwd", "alice", "--password-stdin"], input="short\n")
    assert result.exit_code == 1 and "at least 8 characters" in result.output


def _session_cookie_header(client, **kwargs) -> str:
    response = client.get("/login", **kwargs)
    return next(v for v in response.headers.getlist("Set-Cookie") if v.startswith(SESSION_COOKIE + "="))


def test_the_cookie_is_secure_over_https_and_when_configured(database_url, monkeypatch):
    plain = create_app({"DATABASE_URL": database_url})
    assert "Secure" not in _session_cookie_header(plain.test_client())
    assert "Secure" in _session_cookie_header(plain.test_client(), base_url="https://fuse.example")
    monkeypatch.setenv("FUSE_SECURE_COOKIES", "1")
    configured = create_app({"DATABASE_URL": database_url})
    header = _session_cookie_header(configured.test_client())
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    for app in (plain, configured):
        with app.app_context():
            db.engine.dispose()


def test_a_session_ends_by_itself_after_its_lifetime(app, client, auth):
    assert sign_in(client, "alice", token_of(auth, "alice"), field="token").status_code == 302
    assert client.get(ME).status_code == 200
    with app.app_context():
        db.session.execute(update(WebSession).values(auth_time=utcnow() - LIFETIME - timedelta(minutes=1)))
        db.session.commit()
    assert client.get(ME).status_code == 401
    assert client.get("/").headers["Location"].startswith("/login")
