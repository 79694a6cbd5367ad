"""The OpenID Connect relying party: Authlib's Flask client, set up from FUSE_OIDC_* when the app is made.

Authlib reads the provider's discovery document (issuer/.well-known/openid-configuration), sends the browser
to its authorization endpoint with state, nonce and a PKCE S256 challenge (kept in the signed session cookie),
and on the way back checks the state, exchanges the code (with the verifier) and validates the ID token
(signature by the provider's JWKS, issuer, audience, expiry, nonce, at_hash).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.jwt_bearer import ProviderKeys
from api.oidc_settings import OidcSettings, oidc_settings
from engine.identity.provisioning import provision_user
from engine.store.models import User

EXTENSION = "fuse_oidc"
CLIENT_NAME = "idp"


@dataclass(frozen=True)
class Oidc:
    settings: OidcSettings
    client: object  # authlib's FlaskOAuth2App
    keys: ProviderKeys  # for access tokens on the API


def init_oidc(app: Flask, env: Mapping[str, str]) -> None:
    """Single sign-on for this app when FUSE_OIDC_ISSUER is set; nothing at all otherwise."""
    settings = oidc_settings(env)
    if settings is None:
        return
    client_kwargs = {"scope": settings.scopes, "code_challenge_method": "S256",
                     "default_timeout": settings.http_timeout_s}
    if settings.client_secret is None:
        client_kwargs["token_endpoint_auth_method"] = "none"  # a public client: PKCE alone
    client = OAuth(app).register(CLIENT_NAME, client_id=settings.client_id, client_secret=settings.client_secret,
                                 server_metadata_url=settings.metadata_url, client_kwargs=client_kwargs)
    app.extensions[EXTENSION] = Oidc(settings, client, ProviderKeys(settings))


def current_oidc() -> Oidc | None:
    return current_app.extensions.get(EXTENSION)


def provisioned_user(session: Session, settings: OidcSettings, claims: dict) -> User:
    """provision_user, committed; two first requests of one new person at once both end with the one row."""
    try:
        user = provision_user(session, settings.issuer, claims, settings.mapping)
        session.commit()
    except IntegrityError:
        session.rollback()
        user = provision_user(session, settings.issuer, claims, settings.mapping)
        session.commit()
    return user


def claim_time(claims: dict, name: str) -> datetime | None:
    """A NumericDate claim (seconds since 1970) as naive UTC, None when missing or not a number."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, timezone.utc).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def claim_amr(claims: dict) -> tuple[str, ...]:
    amr = claims.get("amr")
    return tuple(m for m in amr if isinstance(m, str)) if isinstance(amr, list) else ()


def claim_acr(claims: dict) -> str | None:
    acr = claims.get("acr")
    return acr if isinstance(acr, str) and acr else None
