"""The web pages: sign in with a user's API token, then tasks, task forms, starting processes, instances.

Pages are HTML shells. Their scripts (api/static) call the JSON API under /api/v1 with the session
cookie and the session's CSRF token, which every page carries in <meta name="csrf-token">.

The sign-in form is CSRF-protected too (against "login CSRF", signing a victim into someone else's
account): GET /login puts a random token in the not-yet-signed-in session and the form echoes it.
Signing in replaces the session, and with it the token (no session fixation).
"""
from __future__ import annotations

import re
import secrets
from functools import wraps

from flask import Blueprint, redirect, render_template, request, session, url_for

from api.auth import check_csrf, csrf_token, start_session
from api.extensions import db
from engine.errors import Forbidden, Unauthorized
from engine.identity.users import Actor, actor_named, sign_in
from engine.instances.commands import count_summary

bp = Blueprint("web", __name__)

# Pages load nothing but their own assets: no inline script, no third-party origin.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data: https:; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# "/x?y", never "//host", "/\\host" or "/\t/host" (browsers drop tabs and read backslashes as slashes).
LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\\]*")
SIGN_IN_FAILED = "That user name and API token do not match."
FORM_EXPIRED = "The sign-in form had expired. Please try again."


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
    if "user" not in session:
        return None
    try:
        return actor_named(db.session, session["user"])
    except Unauthorized:  # the user was removed since signing in
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
    session.setdefault("csrf", secrets.token_urlsafe(32))  # the sign-in form's own CSRF token
    return render_template("login.html", next=_safe_next(request.args.get("next")), name="")


@bp.post("/login")
def login_submit():
    name = request.form.get("name", "").strip()
    target = _safe_next(request.form.get("next"))
    try:
        _check_form_token()
    except Forbidden:
        session["csrf"] = secrets.token_urlsafe(32)
        return render_template("login.html", next=target, name=name, error=FORM_EXPIRED), 403
    try:
        actor = sign_in(db.session, name, request.form.get("token", "").strip())
    except Unauthorized:
        return render_template("login.html", next=target, name=name, error=SIGN_IN_FAILED), 401
    start_session(actor)
    return redirect(target)


@bp.post("/logout")
def logout():
    _check_form_token()
    session.clear()
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
