"""Passwords for the pages, stored as Argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile)."""
from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from engine.errors import BadRequest
from engine.identity.users import existing_user, user_named
from engine.store.models import User

MIN_LENGTH = 8
HASHER = PasswordHasher()


@functools.cache
def decoy_hash() -> str:
    """Checked against when the user does not exist or has no password, so that answering "no" takes as long as
    checking a real password: the time does not tell which user names exist. Made on first use, not at import:
    hashing costs a quarter of a second that every `fuse` command would pay."""
    return HASHER.hash("not the password of anyone")


def set_password(session: Session, name: str, password: str) -> User:
    """Give user `name` this password (replacing any earlier one)."""
    if len(password) < MIN_LENGTH:
        raise BadRequest(f"a password needs at least {MIN_LENGTH} characters")
    user = existing_user(session, name)
    user.password_hash = HASHER.hash(password)
    session.flush()
    return user


def user_with_password(session: Session, name: str, password: str) -> User | None:
    """The user if `password` is theirs, else None (in the same time either way)."""
    user = user_named(session, name)
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        HASHER.verify(stored or decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if stored is None:
        return None
    if HASHER.check_needs_rehash(stored):  # the hashing parameters were raised since it was set
        user.password_hash = HASHER.hash(password)
    return user
