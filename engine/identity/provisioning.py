"""Users from an identity provider's claims: who the person is, which Fuse groups they get, and the users row.

Single sign-on (the pages) and the provider's access tokens (the API) both end here with verified claims, so
both map them the same way. The person's name is one claim (FUSE_OIDC_USERNAME_CLAIM), their groups another
(FUSE_OIDC_GROUPS_CLAIM); a group map renames provider groups to Fuse's (`idp-admins=admin`), and groups it
does not name keep their own names. The first sign-in makes the users row; every sign-in replaces its groups
with the provider's, so a group taken away there is gone here at the next sign-in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import BadRequest, Unauthorized
from engine.identity.users import user_named
from engine.store.models import User, UserGroup

# The users table's limits (user and group names).
MAX_NAME = 120


@dataclass(frozen=True)
class ClaimMapping:
    """Which claims name the person and their groups, and how provider groups become Fuse groups."""

    username_claim: str = "preferred_username"
    groups_claim: str = "groups"
    group_map: dict[str, str] = field(default_factory=dict)


def parse_group_map(text: str | None) -> dict[str, str]:
    """`idp-admins=admin, accounting=finance` as a dict; BadRequest naming an entry without `=`."""
    mapping = {}
    for entry in (text or "").split(","):
        if not entry.strip():
            continue
        source, equals, target = entry.partition("=")
        if not equals or not source.strip() or not target.strip():
            raise BadRequest(f"group map entry {entry.strip()!r} is not PROVIDER_GROUP=FUSE_GROUP")
        mapping[source.strip()] = target.strip()
    return mapping


def _groups(claims: dict, mapping: ClaimMapping) -> list[str]:
    raw = claims.get(mapping.groups_claim)
    if raw is None:
        return []
    values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    groups = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        group = mapping.group_map.get(value, value)
        if len(group) <= MAX_NAME and group not in groups:
            groups.append(group)
    return groups


def identity_from_claims(claims: dict, mapping: ClaimMapping) -> tuple[str, list[str]]:
    """The user name and Fuse groups verified claims give; Unauthorized when the name claim is missing."""
    name = claims.get(mapping.username_claim)
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise Unauthorized(f"the identity provider's token has no usable {mapping.username_claim!r} claim "
                           "to name the user")
    return name.strip(), _groups(claims, mapping)


def provision_user(session: Session, issuer: str, claims: dict, mapping: ClaimMapping) -> User:
    """The users row for these verified claims, made on first sight, its groups set to the claim's.

    A user row is tied to the first provider identity (issuer and `sub`) that signs in as it; a different
    identity whose name claim says the same name is refused (names can be changed at many providers; `sub`
    cannot). A row made by `fuse user add` is taken over by the first identity that signs in with its name.
    """
    name, groups = identity_from_claims(claims, mapping)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("the identity provider's token has no 'sub' claim")
    identity = f"{issuer} {subject}"
    known = session.scalars(select(User).where(User.oidc_subject == identity)).one_or_none()
    if known is not None and known.name != name:
        # Renamed at the provider: Fuse keeps names in tasks and history, so it does not follow silently.
        raise Unauthorized(f"this identity signed in as {known.name} before, and now says {name}; ask an admin")
    user = user_named(session, name)
    if user is None:
        user = User(name=name, oidc_subject=identity)
        session.add(user)
    elif user.oidc_subject is None:
        user.oidc_subject = identity
    elif user.oidc_subject != identity:
        raise Unauthorized(f"user {name} belongs to another identity of the provider; ask an admin")
    if sorted(g.group for g in user.groups) != sorted(groups):
        user.groups[:] = [g for g in user.groups if g.group in groups]
        have = {g.group for g in user.groups}
        user.groups.extend(UserGroup(group=g) for g in groups if g not in have)
    session.flush()
    return user
