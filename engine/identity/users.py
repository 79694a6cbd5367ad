"""Users, their groups, and API tokens (only a hash of each token is stored; a token may expire or be revoked)."""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import BadRequest, NotFound, Unauthorized
from engine.identity.identity_cache import TOKENS
from engine.store.models import ApiToken, User, UserGroup, utcnow

ADMIN_GROUP = "admin"


class TokenState(str, Enum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


# Authentication methods (RFC 8176 "amr" values) an Actor can carry.
TOKEN, PASSWORD, ONE_TIME_CODE = "token", "pwd", "otp"
# RFC 8176 methods that show a factor beyond a password, as an OpenID Connect provider reports them: a
# one-time code, "mfa" itself, a hardware or software key (WebAuthn), a smart card, a code by SMS.
SECOND_FACTOR_METHODS = frozenset({ONE_TIME_CODE, "mfa", "hwk", "swk", "sc", "sms"})
# The acr values (comma-separated) the operator's OpenID Connect provider uses for multi-factor sign-ins.
MFA_ACR_SETTING = "FUSE_OIDC_MFA_ACR"


def multi_factor_acrs() -> frozenset[str]:
    return frozenset(v.strip() for v in os.environ.get(MFA_ACR_SETTING, "").split(",") if v.strip())


@dataclass(frozen=True)
class Actor:
    """Who is calling: a user name and its groups, and when and how it proved who it is (if it did)."""

    name: str
    groups: frozenset[str]
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()
    # The address the request came from (as the API layer worked it out), for policies about people.
    client_address: str | None = None
    # The authentication context class an OpenID Connect provider reported (None for Fuse's own sign-in).
    acr: str | None = None

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups

    @property
    def second_factor(self) -> bool:
        return (bool(SECOND_FACTOR_METHODS.intersection(self.amr))
                or (self.acr is not None and self.acr in multi_factor_acrs()))


def actor_of(user: User, auth_time: datetime | None = None, amr: tuple[str, ...] = (),
             acr: str | None = None) -> Actor:
    """The Actor for a user row, signed in at `auth_time` by the methods `amr` (in the context `acr`)."""
    return Actor(user.name, frozenset(g.group for g in user.groups), auth_time, tuple(amr), acr=acr)


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


def list_users(session: Session) -> list[User]:
    """Every user, by name, with its groups."""
    return list(session.scalars(select(User).order_by(User.name)))


def user_named(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def existing_user(session: Session, name: str) -> User:
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None:
        raise NotFound(f"user {name} does not exist")
    return user


def create_token(session: Session, user_name: str, *, expires_at: datetime | None = None,
                 note: str | None = None, replace: bool = False) -> str:
    """A new API token for a user; the plain token is returned once and never stored.

    `expires_at` (naive UTC) ends it by itself; `replace` revokes the user's live tokens with the same `note`
    first, so a script that makes a token on every run leaves exactly one valid.
    """
    user = existing_user(session, user_name)
    if expires_at is not None and expires_at <= utcnow():
        raise BadRequest(f"the expiry {expires_at:%Y-%m-%d %H:%M} UTC is already past")
    if replace:
        for row in list_tokens(session, user_name):
            if row.note == note and is_valid(row):
                row.revoked_at = utcnow()
    token = "fuse_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_hash(token), expires_at=expires_at, note=note))
    session.flush()
    return token


def list_tokens(session: Session, user_name: str) -> list[ApiToken]:
    """A user's tokens, oldest first, revoked and expired ones included (never the secret: it is not stored)."""
    user = existing_user(session, user_name)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at, ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """End a token now; revoking it again keeps the first revocation time."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} does not exist")
    row.revoked_at = row.revoked_at or utcnow()
    session.flush()
    return row


def token_state(row: ApiToken) -> TokenState:
    """Revoked wins over expired: it says someone ended the token on purpose."""
    if row.revoked_at is not None:
        return TokenState.REVOKED
    if row.expires_at is not None and row.expires_at <= utcnow():
        return TokenState.EXPIRED
    return TokenState.VALID


def is_valid(row: ApiToken) -> bool:
    return token_state(row) == TokenState.VALID


def actor_for_token(session: Session, token: str | None) -> Actor:
    """The user a bearer token belongs to, or Unauthorized (also when the token expired or was revoked).

    A token proves who calls on every request anew, so its auth_time is now.
    """
    hashed = _hash(token) if token else ""
    if (known := TOKENS.get(hashed)) is not None:
        name, groups = known
        return Actor(name, groups, utcnow(), (TOKEN,))
    row = _valid_token(session, token)
    actor = actor_of(row.user, utcnow(), (TOKEN,))
    until = (row.expires_at - utcnow()).total_seconds() if row.expires_at is not None else None
    TOKENS.put(hashed, (actor.name, actor.groups), until)
    return actor


def user_for_token(session: Session, token: str | None) -> User:
    """The user a valid API token belongs to, or Unauthorized."""
    return _valid_token(session, token).user


def _valid_token(session: Session, token: str | None) -> ApiToken:
    if not token:
        raise Unauthorized("an API token is required: Authorization: Bearer <token>")
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _hash(token))).one_or_none()
    if row is None:
        raise Unauthorized("the API token is not valid")
    state = token_state(row)
    if state != TokenState.VALID:
        raise Unauthorized(f"the API token is {state.value}")
    return row