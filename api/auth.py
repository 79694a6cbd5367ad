"""Who is calling: a bearer token (API clients), or a signed-in web session with a CSRF token.

A web session is a signed cookie holding a random session id and a random CSRF token; the id names a
row in the database (engine.identity.web_sessions), so signing out ends the session for every copy of
the cookie. Every request from a page that changes something must echo the CSRF token in the
X-CSRF-Token header (or a `csrf_token` form field), so another site cannot make a signed-in browser act.

With single sign-on configured, a bearer token that is a JWT is the identity provider's access token
(api/jwt_bearer.py); its user is made or updated from its claims like at a page sign-in.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import replace

from flask import g, request, session

from api.extensions import db
from api.jwt_bearer import looks_like_jwt, verified_claims
from api.oidc_client import claim_acr, claim_amr, claim_time, current_oidc, provisioned_user
from engine.errors import Forbidden
from engine.identity.users import TOKEN, Actor, actor_for_token, actor_of
from engine.store.models import utcnow
from engine.identity.web_sessions import actor_for_web_session

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SESSION_ID = "sid"


def authenticate() -> None:
    """before_request hook of the API blueprints."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" or SESSION_ID not in session:
        actor = _bearer_actor(token.strip() if scheme.lower() == "bearer" else None)
    else:
        if request.method not in SAFE_METHODS:
            check_csrf()
        actor = actor_for_web_session(db.session, session[SESSION_ID])
    g.actor = replace(actor, client_address=request.remote_addr)


def _bearer_actor(token: str | None) -> Actor:
    oidc = current_oidc()
    if oidc is None or not token or not looks_like_jwt(token):
        return actor_for_token(db.session, token)
    claims = verified_claims(oidc.settings, oidc.keys, token)
    user = provisioned_user(db.session, oidc.settings, claims)
    # The provider's word on when and how the person signed in, where the token carries it.
    return actor_of(user, claim_time(claims, "auth_time") or utcnow(), claim_amr(claims) or (TOKEN,),
                    claim_acr(claims))


def check_csrf() -> None:
    """Refuse a state-changing request from a session that does not carry its CSRF token."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")


def start_session(session_id: str) -> None:
    """Put a new web session in the cookie, with a fresh CSRF token (no session fixation)."""
    session.clear()
    session[SESSION_ID] = session_id
    session["csrf"] = secrets.token_urlsafe(32)


def session_id() -> str | None:
    return session.get(SESSION_ID)


def csrf_token() -> str:
    return session.get("csrf", "")


def current_actor() -> Actor:
    return g.actor
