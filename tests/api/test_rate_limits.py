"""Failed authentication is rate-limited per client address: past the limit, 429 problem+json with
Retry-After, for wrong API tokens and for the sign-in form alike; other addresses are not affected."""
from __future__ import annotations

import pytest

from api.app import create_app
from api.extensions import db
from helpers import csrf_of

ME = "/api/v1/me"
WRONG = {"Authorization": "Bearer fuse_not-a-token"}


@pytest.fixture
def app(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "AUTH_FAILURE_LIMIT": "5 per minute"})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_wrong_tokens_from_one_address_get_429_with_retry_after(client, auth):
    answers = [client.get(ME, headers=WRONG).status_code for _ in range(30)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}
    limited = client.get(ME, headers=auth["alice"])  # the address is blocked, valid token or not
    assert limited.status_code == 429 and limited.content_type == "application/problem+json"
    assert limited.json["type"] == "urn:fuse:problem:too-many-requests"
    assert 0 < int(limited.headers["Retry-After"]) == limited.json["retry_after"] <= 61
    elsewhere = client.get(ME, headers=auth["alice"], environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert elsewhere.status_code == 200
    assert client.get("/healthz").status_code == 200  # liveness probes are never limited


def test_successful_requests_do_not_count(client, auth):
    assert all(client.get(ME, headers=auth["alice"]).status_code == 200 for _ in range(20))


def test_wrong_passwords_on_the_sign_in_form_get_429(client, auth):
    csrf = csrf_of(client.get("/login").data)
    answers = [client.post("/login", data={"name": "alice", "password": "guess", "next": "/", "csrf_token": csrf})
               for _ in range(8)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    last = answers[-1]
    assert last.status_code == 429 and last.mimetype == "text/html" and "Retry-After" in last.headers
    assert b"try again in" in last.data
