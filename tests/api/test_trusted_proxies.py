"""FUSE_TRUSTED_PROXIES: the client address behind that many reverse proxies. With none (the default) a client's
own X-Forwarded-For changes nothing: not the rate limiter's count, not the address policies see; with N, the
address the outermost trusted proxy wrote is the client's, and what the client prepended is not believed."""
from __future__ import annotations

import pytest

from api.app import create_app
from api.extensions import db
from helpers import deploy
from policy_people import refund_files

ME = "/api/v1/me"
WRONG = {"Authorization": "Bearer fuse_not-a-token"}
LIMIT = 5
SMALL = {"definition_key": "refund", "variables": {"amount": 5, "requester": "bob"}}


@pytest.fixture
def proxies() -> int:
    return 0


@pytest.fixture
def app(database_url, monkeypatch, proxies):
    monkeypatch.setenv("FUSE_TRUSTED_PROXIES", str(proxies))
    # A client in 203.0.113.0/24 earns trust: shows which address the policies see.
    monkeypatch.setenv("FUSE_TRUST_SCORE", "ip_in(person.client_address, ['203.0.113.0/24']) ? 80.0 : 10.0")
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "AUTH_FAILURE_LIMIT": f"{LIMIT} per minute"})
    yield app
    with app.app_context():
        db.engine.dispose()


def forwarded(address: str) -> dict:
    return {**WRONG, "X-Forwarded-For": address}


def trust_seen(client, auth, headers: dict) -> float:
    """Start a refund with these headers; the trust score its policy saw for the caller."""
    assert deploy(client, auth["demo"], *refund_files().items()).status_code == 201
    instance = client.post("/api/v1/process-instances", json=SMALL, headers={**auth["alice"], **headers}).json
    history = client.get(f"/api/v1/process-instances/{instance['id']}/history", headers=auth["demo"]).json
    [verdict] = [e["data"] for e in history if e["type"] == "policy_evaluated"]
    return verdict["person"]["trust_score"]


def test_with_no_proxy_a_spoofed_header_does_not_dodge_the_sign_in_limit(client, auth):
    answers = [client.get(ME, headers=forwarded(f"198.51.100.{n}")) for n in range(LIMIT + 3)]
    assert [a.status_code for a in answers] == [401] * LIMIT + [429] * 3
    assert "from 127.0.0.1" in answers[-1].json["detail"]
    form = client.get("/login")  # the pages too: still the same address
    assert form.status_code == 429


def test_with_no_proxy_a_spoofed_header_does_not_change_the_address_policies_see(client, auth):
    assert trust_seen(client, auth, {"X-Forwarded-For": "203.0.113.7"}) == 10.0


@pytest.mark.parametrize("proxies", [1])
def test_behind_one_proxy_each_forwarded_client_counts_on_its_own(client, auth):
    answers = [client.get(ME, headers=forwarded(f"198.51.100.{n}")).status_code for n in range(LIMIT + 3)]
    assert answers == [401] * (LIMIT + 3)
    same = [client.get(ME, headers=forwarded("198.51.100.200")) for _ in range(LIMIT + 1)]
    assert [a.status_code for a in same] == [401] * LIMIT + [429]
    assert "from 198.51.100.200" in same[-1].json["detail"]
    # What the client wrote before the proxy's own entry is not believed: it is still 198.51.100.200.
    assert client.get(ME, headers=forwarded("192.0.2.1, 198.51.100.200")).status_code == 429


@pytest.mark.parametrize("proxies", [1])
def test_behind_one_proxy_policies_see_the_forwarded_client(client, auth):
    assert trust_seen(client, auth, {"X-Forwarded-For": "203.0.113.7"}) == 80.0


@pytest.mark.parametrize("proxies", [2])
def test_behind_two_proxies_the_address_the_outer_one_wrote_counts(client, auth):
    # client-chosen, real client (written by the outer proxy), outer proxy (written by the inner one)
    assert trust_seen(client, auth, {"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.0.0.2"}) == 80.0


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_a_setting_that_is_not_a_number_of_proxies_stops_the_app(database_url, monkeypatch, value):
    monkeypatch.setenv("FUSE_TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match=f"FUSE_TRUSTED_PROXIES='{value}' is not a number of proxies"):
        create_app({"DATABASE_URL": database_url})
