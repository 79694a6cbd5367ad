"""Users from an identity provider's verified claims: names, mapped groups, and the tie to one identity."""
from __future__ import annotations

import pytest

from engine.errors import BadRequest, Unauthorized
from engine.identity.provisioning import ClaimMapping, identity_from_claims, parse_group_map, provision_user
from engine.identity.users import add_user

ISSUER = "https://idp.example"
MAPPING = ClaimMapping(group_map={"idp-admins": "admin"})


def test_the_group_map_is_read_and_checked():
    assert parse_group_map(" idp-admins = admin, accounting=finance ,") == {"idp-admins": "admin",
                                                                             "accounting": "finance"}
    assert parse_group_map(None) == {}
    with pytest.raises(BadRequest, match="'admins'"):
        parse_group_map("admins")
    with pytest.raises(BadRequest):
        parse_group_map("=admin")


def test_claims_give_a_name_and_mapped_groups():
    claims = {"preferred_username": " ann ", "groups": ["idp-admins", "finance", "finance", 7, "", None]}
    assert identity_from_claims(claims, MAPPING) == ("ann", ["admin", "finance"])
    assert identity_from_claims({"preferred_username": "ann", "groups": "idp-admins"}, MAPPING) == ("ann", ["admin"])
    assert identity_from_claims({"preferred_username": "ann"}, MAPPING) == ("ann", [])
    for bad in ({}, {"preferred_username": ""}, {"preferred_username": ["ann"]},
                {"preferred_username": "x" * 121}):
        with pytest.raises(Unauthorized, match="preferred_username"):
            identity_from_claims(bad, MAPPING)


def test_a_user_is_made_then_its_groups_follow_the_claims(sessions):
    with sessions() as session:
        user = provision_user(session, ISSUER, {"sub": "1", "preferred_username": "ann",
                                                "groups": ["idp-admins", "finance"]}, MAPPING)
        assert user.oidc_subject == f"{ISSUER} 1" and sorted(g.group for g in user.groups) == ["admin", "finance"]
        session.commit()
    with sessions() as session:
        user = provision_user(session, ISSUER, {"sub": "1", "preferred_username": "ann", "groups": ["sales"]},
                              MAPPING)
        session.commit()
        assert [g.group for g in user.groups] == ["sales"]


def test_a_name_belongs_to_one_identity(sessions):
    with sessions() as session:
        add_user(session, "ann", ["finance"])  # made by `fuse user add`: the first identity takes it over
        provision_user(session, ISSUER, {"sub": "1", "preferred_username": "ann"}, MAPPING)
        session.commit()
        with pytest.raises(Unauthorized, match="another identity"):
            provision_user(session, ISSUER, {"sub": "2", "preferred_username": "ann"}, MAPPING)
        with pytest.raises(Unauthorized, match="signed in as ann before"):
            provision_user(session, ISSUER, {"sub": "1", "preferred_username": "anne"}, MAPPING)
        with pytest.raises(Unauthorized, match="another identity"):  # the same sub at another issuer
            provision_user(session, "https://other.example", {"sub": "1", "preferred_username": "ann"}, MAPPING)
        with pytest.raises(Unauthorized, match="'sub'"):
            provision_user(session, ISSUER, {"preferred_username": "ann"}, MAPPING)
