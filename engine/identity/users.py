"""Users, their groups, and API tokens (only a hash of each token is stored)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound, Unauthorized
from engine.store.models import ApiToken, User, UserGroup

ADMIN_GROUP = "admin"


@dataclass(frozen=True)
class Actor:
    """Who is calling: a user name and the groups it belongs to."""

    name: str
    groups: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, name: str, groups: list[str]) -> User:
    """Create a user, or give an existing one these groups too (idempotent)."""
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None:
        user = User(name=name)
        session.add(user)
    have = {g.group for g in user.groups}
    for group in groups:
        if group not in have:
            user.groups.append(UserGroup(group=group))
            have.add(group)
    session.flush()
    return user


def create_token(session: Session, user_name: str) -> str:
    """A new API token for a user; the plain token is returned once and never stored."""
    user = session.scalars(select(User).where(User.name == user_name)).one_or_none()
    if user is None:
        raise NotFound(f"user {user_name} does not exist")
    token = "fuse_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_hash(token)))
    session.flush()
    return token


def actor_for_token(session: Session, token: str | None) -> Actor:
    """The user a bearer token belongs to, or Unauthorized."""
    if not token:
        raise Unauthorized("an API token is required: Authorization: Bearer <token>")
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _hash(token))).one_or_none()
    if row is None:
        raise Unauthorized("the API token is not valid")
    return Actor(row.user.name, frozenset(g.group for g in row.user.groups))


def actor_named(session: Session, name: str) -> Actor:
    """The user of this name (for a signed-in web session), or Unauthorized if it is gone."""
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None:
        raise Unauthorized(f"user {name} no longer exists; sign in again")
    return Actor(user.name, frozenset(g.group for g in user.groups))


def sign_in(session: Session, name: str, token: str) -> Actor:
    """Check that the token belongs to the named user (the web sign-in); Unauthorized otherwise."""
    actor = actor_for_token(session, token)
    if actor.name != name:
        raise Unauthorized("that token does not belong to that user")
    return actor
