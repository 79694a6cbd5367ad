"""Signing in again without an identity provider (`/login?next=…&max_age=…&second_factor=1`), for a task
that asks for a fresh sign-in or a second factor (a step-up).

While signed in, the page is "Confirm it's you": the user name is the session's and is fixed (kept in the
signed cookie, so the form cannot change it), then the password, then — when `second_factor=1` — the TOTP
code. Success opens a new page session (api/web.py `_signed_in`): a fresh auth_time and amr. A user asked
for a second factor who has none is told how to get one and is not signed in.
"""
from __future__ import annotations

from flask import request, session

CONFIRM_KEY = "confirm_user"
NO_SECOND_FACTOR = ("This step needs a second factor, and {name} has none yet. Set one up first: an admin runs "
                    "`fuse user totp {name}` and you add the secret it prints to an authenticator app; then try "
                    "again.")


def asks_step_up() -> bool:
    """The request asks to sign in again for a step-up (a fresh sign-in, or a second factor)."""
    return bool(request.values.get("max_age") or wants_second_factor())


def wants_second_factor() -> bool:
    return request.values.get("second_factor") == "1"


def begin_confirmation(user: str | None) -> None:
    """Fix the user name of the confirm form (None: an ordinary sign-in, anyone may be named)."""
    if user is None:
        session.pop(CONFIRM_KEY, None)
    else:
        session[CONFIRM_KEY] = user


def confirming() -> str | None:
    """The user name the form is fixed to while someone confirms it is them."""
    return session.get(CONFIRM_KEY)


def page_values(name: str) -> dict:
    """What login.html and login_code.html need to keep the step-up going across their forms."""
    user = confirming()
    return {"name": user or name, "confirm": user is not None, "second_factor": wants_second_factor(),
            "max_age": request.values.get("max_age", "")}
