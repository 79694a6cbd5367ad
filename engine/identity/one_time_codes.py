"""The optional second factor: TOTP codes (RFC 6238, as authenticator apps make them) with pyotp."""
from __future__ import annotations

import time

import pyotp
from sqlalchemy.orm import Session

from engine.identity.users import existing_user
from engine.store.models import User

ISSUER = "Fuse"
# A code is accepted one 30-second step early or late (clocks drift, people type slowly).
DRIFT_STEPS = 1


def enable_totp(session: Session, name: str) -> tuple[str, str]:
    """Give user `name` a new TOTP secret; returns it and the otpauth:// URI an authenticator app reads."""
    user = existing_user(session, name)
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    session.flush()
    return user.totp_secret, pyotp.TOTP(user.totp_secret).provisioning_uri(name=name, issuer_name=ISSUER)


def disable_totp(session: Session, name: str) -> User:
    user = existing_user(session, name)
    user.totp_secret = user.totp_last_step = None
    session.flush()
    return user


def accept_code(user: User, code: str) -> bool:
    """Whether `code` is the user's current code; each code works once (a seen code is a replay)."""
    if not user.totp_secret or not code.strip().isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = int(time.time() // totp.interval)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if pyotp.utils.strings_equal(code.strip(), totp.generate_otp(step)):
            user.totp_last_step = step
            return True
    return False
