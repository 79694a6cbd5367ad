"""Where the password pages (api/web.py) hand over to single sign-on; each hook does nothing without it.

- GET /login goes to the identity provider (keeping next, max_age and second_factor), unless the password
  form stays allowed beside it (FUSE_OIDC_PASSWORD_SIGN_IN=1): then the form shows a single sign-on link.
- POST /login and /login/code are refused while only single sign-on is allowed.
- Signing out of a session opened by single sign-on ends it here, then (through a page of ours: the pages'
  CSP lets forms post only to this site) at the provider's end_session_endpoint, which sends the browser
  back to /login.
"""
from __future__ import annotations

import requests
from flask import Blueprint, redirect, render_template, request, session, url_for
from sqlalchemy.orm import Session

from api.oidc_client import current_oidc
from engine.identity.web_sessions import id_token_of

# What /login passes on to the provider's sign-in.
SIGN_IN_ARGS = ("next", "max_age", "second_factor")
SIGN_OUT_KEY = "oidc_sign_out"
PASSWORD_OFF = ("Sign-in with a password is turned off here: use single sign-on "
                "(your organisation's sign-in page).")


def idp_sign_in_redirect():
    """The redirect to single sign-on when it is the only way in, else None."""
    oidc = current_oidc()
    if oidc is None or oidc.settings.password_sign_in:
        return None
    return redirect(_sign_in_url())


def _sign_in_url() -> str:
    return url_for("oidc.sign_in", **{k: request.args[k] for k in SIGN_IN_ARGS if request.args.get(k)})


def password_refused():
    """A 403 page when only single sign-on is allowed, else None."""
    oidc = current_oidc()
    if oidc is None or oidc.settings.password_sign_in:
        return None
    return render_template("oidc_message.html", title="Use single sign-on", message=PASSWORD_OFF,
                           sign_in=url_for("oidc.sign_in")), 403


def sign_in_link() -> dict:
    """For login.html: the single sign-on link beside the password form (None when there is none)."""
    oidc = current_oidc()
    return {"sso_sign_in_url": _sign_in_url() if oidc is not None else None}


def idp_sign_out_url(db_session: Session, session_id: str | None) -> str | None:
    """Where the provider ends its own session for this Fuse session: its end_session_endpoint with the ID
    token as hint, "" when the provider has none (or cannot be reached), None when the session was not opened
    by single sign-on. Read before the session row goes."""
    oidc = current_oidc()
    id_token = id_token_of(db_session, session_id) if oidc is not None else None
    if id_token is None:
        return None
    try:
        found = oidc.client.create_logout_url(post_logout_redirect_uri=url_for("web.login", _external=True),
                                              id_token_hint=id_token, client_id=oidc.settings.client_id)
    except (RuntimeError, requests.RequestException, ValueError):  # no end_session_endpoint, or no discovery
        return ""
    return found["url"]


def continue_to_idp(url: str):
    """After the Fuse session ended: our signed-out page, which moves on to the provider's sign-out."""
    session[SIGN_OUT_KEY] = url
    return redirect(url_for("oidc.signed_out"))


def register_sign_in_link(bp: Blueprint) -> None:
    bp.app_context_processor(sign_in_link)
