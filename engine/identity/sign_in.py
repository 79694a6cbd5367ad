"""The pages' sign-in: a password (or an API token), then a TOTP code when the user has one."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.errors import Unauthorized
from engine.identity.one_time_codes import accept_code
from engine.identity.passwords import user_with_password
from engine.identity.users import ONE_TIME_CODE, PASSWORD, TOKEN, user_for_token, user_named
from engine.store.models import User

NO_MATCH = "that user name and password (or API token) do not match"


@dataclass(frozen=True)
class FirstFactor:
    """Who passed the first step and how; `needs_code` says a TOTP code must follow."""

    user: User
    amr: tuple[str, ...]

    @property
    def needs_code(self) -> bool:
        return bool(self.user.totp_secret)


def check_first_factor(session: Session, name: str, secret: str) -> FirstFactor:
    """The user's password, or one of the user's API tokens; Unauthorized otherwise (never saying which).

    A password is taken as typed; a token without the spaces a copy and paste may add.
    """
    user = user_with_password(session, name, secret)
    if user is not None:
        return FirstFactor(user, (PASSWORD,))
    try:
        user = user_for_token(session, secret.strip())
    except Unauthorized:
        user = None
    if user is None or user.name != name:
        raise Unauthorized(NO_MATCH)
    return FirstFactor(user, (TOKEN,))


def check_second_factor(session: Session, name: str, amr: tuple[str, ...], code: str) -> tuple[User, tuple[str, ...]]:
    """The user and the methods after a right TOTP code; Unauthorized for a wrong (or replayed) one."""
    user = user_named(session, name)
    if user is None or not accept_code(user, code):
        raise Unauthorized("that code is not right (or was already used); try the next one")
    session.flush()
    return user, (*amr, ONE_TIME_CODE)
