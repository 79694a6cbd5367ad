"""Signed-in page sessions kept in the database, so that signing out ends them for good (and each ends
by itself LIFETIME after signing in).

The cookie holds a random session id (signed by Flask); only its hash is stored, with when and how the
person signed in. A cookie copied before sign-out finds no row afterwards and is refused.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine.errors import Unauthorized
from engine.identity.users import Actor, actor_of
from engine.store.models import User, WebSession, utcnow

# A page session ends by itself this long after signing in (a forgotten browser, a cookie copied from it).
LIFETIME = timedelta(hours=12)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_web_session(session: Session, user: User, amr: tuple[str, ...], *, auth_time: datetime | None = None,
                     acr: str | None = None, id_token: str | None = None) -> str:
    """A new session for `user`, signed in by the methods `amr`; returns its id (for the cookie only).

    `auth_time` (naive UTC) is when the person authenticated, now unless an identity provider says otherwise;
    `acr` and `id_token` come with an OpenID Connect sign-in.
    """
    session_id = secrets.token_urlsafe(32)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id,
                                             WebSession.auth_time < utcnow() - LIFETIME))  # tidy up
    session.add(WebSession(id_hash=_hash(session_id), user_id=user.id, auth_time=min(auth_time or utcnow(), utcnow()),
                           amr=list(amr), acr=acr, id_token=id_token, created_at=utcnow()))
    session.flush()
    return session_id


def actor_for_web_session(session: Session, session_id: str | None) -> Actor:
    """Who a session belongs to, with its auth_time and amr; Unauthorized once it ended (or its user went)."""
    row = session.get(WebSession, _hash(session_id)) if session_id else None
    if row is None or row.auth_time < utcnow() - LIFETIME:
        raise Unauthorized("the session has ended; sign in again")
    return actor_of(row.user, row.auth_time, tuple(row.amr), row.acr)


def id_token_of(session: Session, session_id: str | None) -> str | None:
    """The ID token a session was opened with (OpenID Connect sign-ins only), for the provider's sign-out."""
    row = session.get(WebSession, _hash(session_id)) if session_id else None
    return row.id_token if row is not None else None


def end_web_session(session: Session, session_id: str | None) -> None:
    """Sign out: the session id is refused from now on, wherever a copy of the cookie is."""
    if session_id:
        session.execute(delete(WebSession).where(WebSession.id_hash == _hash(session_id)))
