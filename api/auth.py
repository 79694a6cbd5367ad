"""Bearer-token authentication for the API blueprints."""
from __future__ import annotations

from flask import g, request

from api.extensions import db
from engine.identity import Actor, actor_for_token


def authenticate() -> None:
    """before_request hook: every API call names its user with `Authorization: Bearer <token>`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    g.actor = actor_for_token(db.session, token.strip() if scheme.lower() == "bearer" else None)


def current_actor() -> Actor:
    return g.actor
