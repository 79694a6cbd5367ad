"""Single sign-on pages: off to the identity provider, back with a code, signed in; and the signed-out page.

GET /oidc/login?next=&max_age=&second_factor=1 sends the browser to the provider (authorization code with
PKCE S256, state and nonce: api/oidc_client.py). `max_age` asks the provider to sign the person in again
(`max_age` and `prompt=login`), `second_factor=1` asks for FUSE_OIDC_MFA_ACR (`acr_values`). GET
/oidc/callback checks what came back: Authlib checks state, nonce and the ID token; here, that the token's
`auth_time` is within the max_age asked for and that it shows a second factor when one was asked for —
otherwise a page says so and nobody is signed in (a weaker sign-in never passes for the one asked for).
Then the user is made or updated from the claims, and a new page session records the ID token's auth_time,
amr and acr. Every route answers 404 while single sign-on is not configured.
"""
from __future__ import annotations

from datetime import timedelta

import requests
from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from joserfc.errors import JoseError

from api.auth import csrf_token, session_id, start_session
from api.extensions import db
from api.oidc_client import Oidc, claim_acr, claim_amr, claim_time, current_oidc, provisioned_user
from api.oidc_hooks import SIGN_OUT_KEY, register_sign_in_link
from api.web import _page_headers, _safe_next
from engine.errors import Unauthorized
from engine.identity.users import SECOND_FACTOR_METHODS
from engine.identity.web_sessions import end_web_session, open_web_session
from engine.store.models import utcnow

bp = Blueprint("oidc", __name__, url_prefix="/oidc")
bp.after_request(_page_headers)
bp.context_processor(lambda: {"csrf_token": csrf_token()})
register_sign_in_link(bp)

PENDING_KEY = "oidc_pending"
# Clocks differ: an auth_time this far past max_age still counts.
AUTH_TIME_LEEWAY_S = 30
MAX_AGE_LIMIT_S = 366 * 24 * 3600
MAX_PENDING = 5
FAILED = "The sign-in with your identity provider did not complete"


def _oidc() -> Oidc:
    oidc = current_oidc()
    if oidc is None:
        abort(404)
    return oidc


def _message(status: int, title: str, message: str, again: str | None = None):
    return render_template("oidc_message.html", title=title, message=message, sign_in=again), status


def _max_age(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) > MAX_AGE_LIMIT_S:
        abort(400, "max_age must be a whole number of seconds")
    return int(text)


@bp.get("/login")
def sign_in():
    oidc = _oidc()
    target = _safe_next(request.args.get("next"))
    max_age = _max_age(request.args.get("max_age"))
    second_factor = request.args.get("second_factor") == "1"
    extra = {}
    if max_age is not None:
        extra.update(max_age=max_age, prompt="login")
    if second_factor and oidc.settings.mfa_acr:
        extra["acr_values"] = oidc.settings.mfa_acr
    try:
        found = oidc.client.create_authorization_url(url_for("oidc.callback", _external=True), **extra)
    except (requests.RequestException, ValueError, RuntimeError):
        return _message(503, "Identity provider unreachable",
                        "Fuse cannot reach your identity provider just now. Please try again in a minute.",
                        again=request.full_path)
    oidc.client.save_authorize_data(redirect_uri=url_for("oidc.callback", _external=True), **found)
    # Per state, so two sign-ins started in two tabs each come back to their own page (the latest few kept).
    waiting = dict(list((session.get(PENDING_KEY) or {}).items())[-(MAX_PENDING - 1):])
    waiting[found["state"]] = {"next": target, "max_age": max_age, "second_factor": second_factor}
    session[PENDING_KEY] = waiting
    return redirect(found["url"])


@bp.get("/callback")
def callback():
    oidc = _oidc()
    waiting = dict(session.get(PENDING_KEY) or {})
    pending = waiting.pop(request.args.get("state") or "", None) or {}
    session[PENDING_KEY] = waiting
    again = url_for("oidc.sign_in", next=pending.get("next") or None)
    try:
        token = oidc.client.authorize_access_token()
    except OAuthError as err:  # a wrong or replayed state, the provider's error, a refused code
        return _message(400, "Sign-in failed", f"{FAILED}: {err.description or err.error}.", again)
    except JoseError as err:  # the ID token: signature, issuer, audience, expiry, nonce
        return _message(400, "Sign-in failed", f"{FAILED}: its ID token was not valid "
                        f"({err.error}: {err.description}).", again)
    except (requests.RequestException, ValueError):
        return _message(503, "Identity provider unreachable", f"{FAILED}: the provider could not be reached.",
                        again)
    claims = token.get("userinfo")
    if not claims or not pending:
        return _message(400, "Sign-in failed", f"{FAILED}: no ID token came back for this sign-in.", again)
    refused = _weaker_than_asked(oidc, dict(claims), pending)
    if refused is not None:
        return _message(403, "Stronger sign-in needed", refused, again)
    try:
        user = provisioned_user(db.session, oidc.settings, dict(claims))
    except Unauthorized as err:
        db.session.rollback()
        return _message(403, "Sign-in refused", err.detail[0].upper() + err.detail[1:] + ".")
    end_web_session(db.session, session_id())  # a sign-in over a session replaces it
    new_session = open_web_session(db.session, user, claim_amr(claims), auth_time=claim_time(claims, "auth_time"),
                                   acr=claim_acr(claims), id_token=token.get("id_token"))
    db.session.commit()
    start_session(new_session)
    return redirect(_safe_next(pending.get("next")))


def _weaker_than_asked(oidc: Oidc, claims: dict, pending: dict) -> str | None:
    """Why the sign-in is not what was asked for (a recent one, one with a second factor), or None."""
    max_age = pending.get("max_age")
    if max_age is not None:
        auth_time = claim_time(claims, "auth_time")
        if auth_time is None:
            return ("Your identity provider did not say when you signed in, so Fuse cannot confirm a recent "
                    "sign-in. Nothing has changed; please ask your administrator.")
        if utcnow() - auth_time > timedelta(seconds=max_age + AUTH_TIME_LEEWAY_S):
            return (f"Your identity provider reports a sign-in from {auth_time:%Y-%m-%d %H:%M:%S} UTC, older than "
                    f"the {max_age} seconds this step asks for. Sign in again at the provider.")
    if pending.get("second_factor"):
        amr = set(claim_amr(claims))
        acr = claim_acr(claims)
        wanted = set((oidc.settings.mfa_acr or "").split())
        if not SECOND_FACTOR_METHODS.intersection(amr) and not (acr and acr in wanted):
            return ("This step needs a sign-in with a second factor, and your identity provider's answer shows "
                    f"none (amr {sorted(amr) or 'missing'}, acr {acr or 'missing'}). Nothing has changed.")
    return None


@bp.get("/signed-out")
def signed_out():
    """Signed out of Fuse; on to the provider's sign-out when it has one (a page, since a form post may only
    lead to this site)."""
    _oidc()
    target = session.pop(SIGN_OUT_KEY, None)
    message = ("You are signed out of Fuse. Taking you to your identity provider to sign out there too."
               if target else "You are signed out of Fuse (your identity provider offers no sign-out of its own).")
    return render_template("oidc_message.html", title="Signed out", message=message, refresh=target,
                           sign_in=url_for("oidc.sign_in"))
