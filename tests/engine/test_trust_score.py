"""FUSE_TRUST_SCORE: one CEL expression over `person`, compiled once, checked at startup, kept within 0..100;
nobody scores the lowest, and an expression that gives no number is an error naming the setting."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.identity.person import check_trust_score, person_context
from engine.identity.users import Actor
from engine.scripting.cel_functions import ip_in
from policy_people import EXAMPLE_TRUST_SCORE

NOW = datetime(2026, 12, 4, 12, 0)


def person(amr=("pwd",), minutes_ago: float | None = 5, address: str | None = "10.1.2.3") -> Actor:
    signed_in = None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago)
    return Actor("ana", frozenset({"finance"}), signed_in, amr, address)


@pytest.fixture
def example(monkeypatch):
    monkeypatch.setenv("FUSE_TRUST_SCORE", EXAMPLE_TRUST_SCORE)


def score(actor: Actor | None) -> float | None:
    return person_context(actor, NOW)["trust_score"]


def test_unset_there_is_no_score_for_anyone(monkeypatch):
    monkeypatch.delenv("FUSE_TRUST_SCORE", raising=False)
    check_trust_score()
    assert score(person(("pwd", "otp"))) is None and score(None) is None


def test_the_example_adds_a_second_factor_a_fresh_sign_in_and_the_office_network(example):
    check_trust_score()
    assert score(person(("pwd", "otp"))) == 100.0
    assert score(person()) == 50.0                                  # fresh, in the office
    assert score(person(minutes_ago=60)) == 20.0                    # only the network
    assert score(person(address="203.0.113.9")) == 30.0             # only fresh
    assert score(person(minutes_ago=None, address=None)) == 0.0     # no sign-in time, no address: nothing
    assert score(person(address="2001:db8::1")) == 30.0             # IPv6 outside 10.0.0.0/8


def test_nobody_has_the_lowest_score_without_running_the_expression(monkeypatch):
    monkeypatch.setenv("FUSE_TRUST_SCORE", "100.0")
    assert score(None) == 0.0 and score(person()) == 100.0


@pytest.mark.parametrize(("expression", "expected"), [("150.0", 100.0), ("-20.0", 0.0), ("42", 42.0)])
def test_a_number_is_kept_within_0_and_100(monkeypatch, expression, expected):
    monkeypatch.setenv("FUSE_TRUST_SCORE", expression)
    check_trust_score()
    assert score(person()) == expected


@pytest.mark.parametrize(("expression", "gave"), [
    ("person.second_factor", "False"), ("person.user", "'ana'"), ("null", "None"), ("0.0 / 0.0", "nan")])
def test_a_result_that_is_not_a_number_is_an_error_naming_the_setting(monkeypatch, expression, gave):
    monkeypatch.setenv("FUSE_TRUST_SCORE", expression)
    with pytest.raises(ValueError, match=rf"^FUSE_TRUST_SCORE gave {gave} for 'ana', not a number"):
        score(person())
    with pytest.raises(ValueError, match="FUSE_TRUST_SCORE gave"):
        check_trust_score()


@pytest.mark.parametrize(("expression", "message"), [
    ("(person.second_factor ? 50.0", "FUSE_TRUST_SCORE does not compile: Failed to parse"),
    ("user.second_factor ? 50.0 : 0.0", "FUSE_TRUST_SCORE uses user: the only variable it has is `person`"),
    ("person.trust ? 50.0 : 0.0", "FUSE_TRUST_SCORE failed for 'sample': no such key 'trust'"),
    # Fine for someone who signed in, not for a caller whose sign-in time is unknown (float - null):
    ("100.0 - person.auth_age_minutes", "FUSE_TRUST_SCORE failed for 'sample': TypeError: Unsupported operation: float - null"),
    ("ip_in(person.client_address, ['not a network']) ? 1.0 : 0.0", "FUSE_TRUST_SCORE failed for 'sample'"),
])
def test_a_broken_expression_is_found_at_startup(monkeypatch, expression, message):
    monkeypatch.setenv("FUSE_TRUST_SCORE", expression)
    with pytest.raises(ValueError, match=message):
        check_trust_score()


def test_an_unknown_address_lies_in_no_network_but_a_malformed_one_is_an_error():
    assert ip_in("", ["0.0.0.0/0"]) is False
    assert ip_in("10.9.8.7", "10.0.0.0/8") is True
    with pytest.raises(ValueError):
        ip_in("somewhere", ["10.0.0.0/8"])
