"""Who calls /engine-rest: HTTP Basic with a user name and one of that user's API tokens as the password (what
Camunda Modeler's "Basic" option and the clients' basic auth send), or `Authorization: Bearer <token>`.

Any failure answers 401 and so counts against the caller's address in the failed-authentication rate limit
(api/throttle.py), like a bad token under /api/v1. Web-session cookies are not accepted here: these
clients never have one, and accepting them would need the CSRF check of the pages.
"""
from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import replace

from flask import g, request

from api.extensions import db
from engine.errors import Unauthorized
from engine.identity.users import actor_for_token

HOW = "send HTTP Basic credentials (your user name and an API token) or Authorization: Bearer <token>"


def _basic_credentials(encoded: str) -> tuple[str, str]:
    try:
        name, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized(f"the Basic credentials are not base64 of name:token; {HOW}") from None
    if not colon or not name or not password:
        raise Unauthorized(f"the Basic credentials need a user name and an API token; {HOW}")
    return name, password


def authenticate_camunda() -> None:
    """before_request hook of the /engine-rest blueprints."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        name, token = _basic_credentials(credentials)
        actor = actor_for_token(db.session, token)
        if not hmac.compare_digest(actor.name.encode(), name.encode()):
            raise Unauthorized("the API token does not belong to that user name")
    elif scheme.lower() == "bearer":
        actor = actor_for_token(db.session, credentials.strip())
    else:
        raise Unauthorized(f"authentication is required: {HOW}")
    g.actor = replace(actor, client_address=request.remote_addr)
