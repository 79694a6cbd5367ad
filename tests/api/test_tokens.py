"""API tokens end, by their expiry or when revoked, and the API then answers 401; `fuse user` and `fuse token`
manage them."""
from __future__ import annotations

import importlib.metadata
import re
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from api.cli import main
from api.extensions import db
from engine.identity.users import add_user, create_token, revoke_token
from engine.store.models import ApiToken, utcnow

DEFINITIONS = "/api/v1/process-definitions"
TOKEN_ID = re.compile(r"^\s*(\d+)\s", re.MULTILINE)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def fuse(database_url, monkeypatch, *args: str):
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_an_expired_or_revoked_token_gets_401_and_a_live_one_200(app, client):
    with app.app_context():
        add_user(db.session, "ann", ["finance"])
        expiring = create_token(db.session, "ann", expires_at=utcnow() + timedelta(days=1))
        revoked = create_token(db.session, "ann")
        live = create_token(db.session, "ann", expires_at=utcnow() + timedelta(days=30))
        db.session.commit()
        assert client.get(DEFINITIONS, headers=bearer(expiring)).status_code == 200
        first, second, _ = db.session.scalars(select(ApiToken).order_by(ApiToken.id))
        first.expires_at = utcnow() - timedelta(seconds=1)  # its day has passed
        revoke_token(db.session, second.id)
        db.session.commit()
    for token, why in ((expiring, "expired"), (revoked, "revoked")):
        answer = client.get(DEFINITIONS, headers=bearer(token))
        assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
        assert answer.json["type"] == "urn:fuse:problem:unauthorized" and why in answer.json["detail"]
    assert client.get(DEFINITIONS, headers=bearer(live)).status_code == 200


def test_version_is_the_installed_package_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"fuse, version {importlib.metadata.version('fuse-engine')}"


def test_user_list_shows_names_and_groups(database_url, monkeypatch):
    fuse(database_url, monkeypatch, "user", "add", "ann", "--group", "finance", "--group", "admin")
    fuse(database_url, monkeypatch, "user", "add", "bo")
    assert fuse(database_url, monkeypatch, "user", "list").splitlines() == ["ann: groups admin, finance",
                                                                           "bo: groups -"]


def test_tokens_are_listed_without_their_secret_and_a_revoked_one_is_refused(app, client, database_url,
                                                                              monkeypatch):
    fuse(database_url, monkeypatch, "user", "add", "ann")
    lasting = fuse(database_url, monkeypatch, "token", "create", "ann").split()[-1]
    expiring = fuse(database_url, monkeypatch, "token", "create", "ann", "--expires-in", "30d", "--note", "ci")
    dated = fuse(database_url, monkeypatch, "token", "create", "ann", "--expires", "2999-01-31")
    assert "(expires 2999-01-31 00:00)" in dated and "(expires 20" in expiring
    listing = fuse(database_url, monkeypatch, "token", "list", "ann")
    assert lasting not in listing and expiring.split()[-1] not in listing
    first_id, _, _ = TOKEN_ID.findall(listing)
    assert " ci" in listing and "2999-01-31 00:00" in listing and listing.count("valid") == 3
    assert client.get(DEFINITIONS, headers=bearer(lasting)).status_code == 200
    assert "revoked" in fuse(database_url, monkeypatch, "token", "revoke", first_id)
    assert client.get(DEFINITIONS, headers=bearer(lasting)).status_code == 401
    assert client.get(DEFINITIONS, headers=bearer(expiring.split()[-1])).status_code == 200
    assert "revoked" in fuse(database_url, monkeypatch, "token", "list", "ann").splitlines()[1]


def test_token_options_that_make_no_sense_are_refused(database_url, monkeypatch):
    fuse(database_url, monkeypatch, "user", "add", "ann")
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    for args in (["--expires-in", "soon"], ["--expires", "2001-01-01"],
                 ["--expires-in", "1d", "--expires", "2999-01-01"]):
        result = CliRunner().invoke(main, ["token", "create", "ann", *args])
        assert result.exit_code != 0 and "Traceback" not in result.output and "fuse_" not in result.output
    assert CliRunner().invoke(main, ["token", "revoke", "999"]).exit_code == 1
    assert CliRunner().invoke(main, ["token", "list", "nobody"]).exit_code == 1
