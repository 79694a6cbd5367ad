"""The acting person as policies see it."""
from datetime import datetime, timedelta

from engine.identity.person import person_context
from engine.identity.users import Actor


def test_a_person_signed_in_with_a_second_factor():
    now = datetime(2026, 12, 4, 12, 0)
    actor = Actor("ana", frozenset({"finance", "admin"}), now - timedelta(minutes=7), ("pwd", "otp"), "10.1.2.3")
    person = person_context(actor, now)
    assert person == {"user": "ana", "groups": ["admin", "finance"], "authenticated": True,
                      "auth_time": "2026-12-04T11:53:00Z", "auth_age_minutes": 7.0, "amr": ["pwd", "otp"],
                      "acr": None, "second_factor": True, "client_address": "10.1.2.3", "trust_score": None}


def test_a_token_caller_has_no_auth_age_and_no_second_factor():
    person = person_context(Actor("bot", frozenset()), datetime(2026, 12, 4))
    assert person["auth_age_minutes"] is None and person["second_factor"] is False
    assert person["client_address"] == ""


def test_nobody_fails_every_check_about_a_person():
    person = person_context(None)
    assert person["authenticated"] is False and person["user"] == "" and person["second_factor"] is False


def test_a_single_sign_on_shows_its_acr_and_its_providers_second_factors(monkeypatch):
    monkeypatch.setenv("FUSE_OIDC_MFA_ACR", "mfa, urn:example:loa:3")
    now = datetime(2026, 12, 4, 12, 0)

    def person(amr: tuple[str, ...], acr: str | None) -> dict:
        return person_context(Actor("ana", frozenset(), now, amr, acr=acr), now)

    assert person(("pwd",), "urn:example:loa:3")["acr"] == "urn:example:loa:3"
    assert person(("pwd",), "urn:example:loa:3")["second_factor"] is True
    assert person(("pwd",), "urn:example:loa:1")["second_factor"] is False
    assert person(("pwd", "hwk"), None)["second_factor"] is True
    assert person(("mfa",), None)["second_factor"] is True
    assert person(("pwd", "kba"), None)["second_factor"] is False
