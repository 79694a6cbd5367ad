"""The web pages: sign in (password or API token, then a TOTP code if the user has one), then tasks, task
forms, starting processes, instances.

Pages are HTML shells. Their scripts (api/static) call the JSON API under /api/v1 with the session
cookie and the session's CSRF token, which every page carries in <meta name="csrf-token">.

The sign-in form is CSRF-protected too (against "login CSRF", signing a victim into someone else's
account): GET /login puts a random token in the not-yet-signed-in session and the form echoes it.
Signing in replaces the session, and with it the token (no session fixation). Between a right password
and a right code, the cookie holds only a short-lived "pending" note, which signs nobody in.
"""
from __future__ import annotations

import re
import secrets
import time
from functools import wraps

from flask import Blueprint, redirect, render_template, request, session, url_for

from api.auth import check_csrf, csrf_token, session_id, start_session
from api.extensions import db
from api.reauthentication import (NO_SECOND_FACTOR, asks_step_up, begin_confirmation, confirming, page_values,
                                   wants_second_factor)
from api.oidc_hooks import continue_to_idp, idp_sign_in_redirect, idp_sign_out_url, password_refused
from engine.errors import Forbidden, Unauthorized
from engine.identity.sign_in import check_first_factor, check_second_factor
from engine.identity.users import Actor
from engine.identity.web_sessions import actor_for_web_session, end_web_session, open_web_session
from engine.instances.commands import count_summary

bp = Blueprint("web", __name__)

# Pages load nothing but their own assets: no inline script, no third-party origin.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data: https:; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# "/x?y", never "//host", "/\\host" or "/\t/host" (browsers drop tabs and read backslashes as slashes).
LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\\]*")
SIGN_IN_FAILED = "That user name and password (or API token) do not match."
CODE_FAILED = "That code is not right (or was already used). Enter the code your app shows now."
FORM_EXPIRED = "The sign-in form had expired. Please try again."
# The time a person has to type the TOTP code after the password.
PENDING_S = 300


@bp.after_request
def _page_headers(response):
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _page_context() -> dict:
    return {"csrf_token": csrf_token()}


def signed_in(view):
    """A page for signed-in users; anyone else goes to /login and comes back here after."""
    @wraps(view)
    def page(**kwargs):
        actor = _session_actor()
        if actor is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return view(actor, **kwargs)
    return page


def _session_actor() -> Actor | None:
    if session_id() is None:
        return None
    try:
        return actor_for_web_session(db.session, session_id())
    except Unauthorized:  # signed out elsewhere, or the user was removed since signing in
        session.clear()
        return None


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so the sign-in page cannot send anyone elsewhere."""
    if target and LOCAL_PATH.fullmatch(target):
        return target
    return url_for("web.task_list")


def _check_form_token() -> None:
    """check_csrf, and refuse a session that has no token at all (its cookie was not sent)."""
    if not csrf_token():
        raise Forbidden("missing CSRF token: reload the page and try again")
    check_csrf()


@bp.get("/login")
def login():
    if (to_idp := idp_sign_in_redirect()) is not None:  # single sign-on only (api/oidc_hooks.py)
        return to_idp
    session.setdefault("csrf", secrets.token_urlsafe(32))  # the sign-in form's own CSRF token
    # Signed in and asked to step up: "confirm it's you", as the same user (api/reauthentication.py).
    actor = _session_actor() if asks_step_up() else None
    begin_confirmation(actor.name if actor is not None else None)
    return _login_page(_safe_next(request.args.get("next")), "")


def _login_page(target: str, name: str, error: str | None = None, status: int = 200):
    return render_template("login.html", next=target, error=error, **page_values(name)), status


@bp.post("/login")
def login_submit():
    if (refused := password_refused()) is not None:
        return refused
    name = confirming() or request.form.get("name", "").strip()
    target = _safe_next(request.form.get("next"))
    if (expired := _expired_form(target, name)) is not None:
        return expired
    # "token" is the field's name before passwords existed; scripts that post it keep working.
    secret = request.form.get("password") or request.form.get("token") or ""
    try:
        passed = check_first_factor(db.session, name, secret)
    except Unauthorized:
        return _login_page(target, name, SIGN_IN_FAILED, 401)
    if wants_second_factor() and not passed.needs_code:
        db.session.rollback()
        return _login_page(target, name, NO_SECOND_FACTOR.format(name=name), 403)
    if passed.needs_code:
        session["pending"] = {"user": name, "amr": list(passed.amr), "at": time.time()}
        db.session.commit()  # a password hash upgraded on the way
        return render_template("login_code.html", next=target, **page_values(name))
    return _signed_in(passed.user, passed.amr, target)


@bp.post("/login/code")
def login_code():
    if (refused := password_refused()) is not None:
        return refused
    target = _safe_next(request.form.get("next"))
    pending = session.get("pending") or {}
    if (expired := _expired_form(target, pending.get("user", ""))) is not None:
        return expired
    if not pending or time.time() - pending["at"] > PENDING_S:
        session.pop("pending", None)
        return _login_page(target, pending.get("user", ""), FORM_EXPIRED, 401)
    try:
        user, amr = check_second_factor(db.session, pending["user"], tuple(pending["amr"]),
                                        request.form.get("code", ""))
    except Unauthorized:
        db.session.rollback()
        return render_template("login_code.html", next=target, error=CODE_FAILED, **page_values(pending["user"])), 401
    return _signed_in(user, amr, target)


def _expired_form(target: str, name: str):
    """The sign-in page again (403) when the form's CSRF token is missing or wrong, else None."""
    try:
        _check_form_token()
    except Forbidden:
        session["csrf"] = secrets.token_urlsafe(32)
        return _login_page(target, name, FORM_EXPIRED, 403)
    return None


def _signed_in(user, amr: tuple[str, ...], target: str):
    end_web_session(db.session, session_id())  # signing in over a session (as someone else) ends that one
    new_session = open_web_session(db.session, user, amr)
    db.session.commit()
    start_session(new_session)
    return redirect(target)


@bp.post("/logout")
def logout():
    _check_form_token()
    idp_sign_out = idp_sign_out_url(db.session, session_id())  # a single sign-on session: the provider's too
    end_web_session(db.session, session_id())
    db.session.commit()
    session.clear()
    if idp_sign_out is not None:
        return continue_to_idp(idp_sign_out)
    return redirect(url_for("web.login"))


@bp.get("/")
@signed_in
def task_list(actor: Actor):
    return render_template("tasks.html", actor=actor, **count_summary(db.session))


@bp.get("/tasks/<task_id>")
@signed_in
def task_page(actor: Actor, task_id: str):
    return render_template("task.html", actor=actor, task_id=task_id)


@bp.get("/start")
@signed_in
def start_page(actor: Actor):
    return render_template("start.html", actor=actor)


@bp.get("/instances/<instance_id>")
@signed_in
def instance_page(actor: Actor, instance_id: str):
    return render_template("instance.html", actor=actor, instance_id=instance_id)
