"""Single sign-on settings (FUSE_OIDC_*), read once when the app is made; without FUSE_OIDC_ISSUER there is none.

The client secret comes from FUSE_OIDC_CLIENT_SECRET or, like handler secrets, from FUSE_SECRET_OIDC_CLIENT_SECRET
or the FUSE_SECRETS_FILE entry OIDC_CLIENT_SECRET (a public client using PKCE alone needs none).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.errors import BadRequest
from engine.handlers.operator_values import secret as operator_secret
from engine.identity.provisioning import ClaimMapping, parse_group_map

DEFAULT_SCOPES = "openid profile email"
SECRET_NAME = "OIDC_CLIENT_SECRET"
FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str
    mapping: ClaimMapping
    audience: str | None  # the `aud` the provider's access tokens for Fuse's API carry; None: no API access
    mfa_acr: str | None  # the acr_values asked for when a second factor is wanted
    password_sign_in: bool  # the password form stays beside single sign-on
    http_timeout_s: float = 10.0

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def oidc_settings(env: Mapping[str, str]) -> OidcSettings | None:
    """The settings in `env`, None without FUSE_OIDC_ISSUER; ValueError for an incomplete or malformed set
    (the server does not start half configured)."""
    issuer = (env.get("FUSE_OIDC_ISSUER") or "").strip()
    if not issuer:
        return None
    client_id = (env.get("FUSE_OIDC_CLIENT_ID") or "").strip()
    if not client_id:
        raise ValueError("FUSE_OIDC_ISSUER is set but FUSE_OIDC_CLIENT_ID is not")
    secret = env.get("FUSE_OIDC_CLIENT_SECRET") or None
    if secret is None:
        try:
            secret = operator_secret(SECRET_NAME)
        except KeyError:
            secret = None
    scopes = " ".join((env.get("FUSE_OIDC_SCOPES") or DEFAULT_SCOPES).replace(",", " ").split())
    if "openid" not in scopes.split():
        scopes = "openid " + scopes
    mapping = ClaimMapping(username_claim=(env.get("FUSE_OIDC_USERNAME_CLAIM") or "preferred_username").strip(),
                           groups_claim=(env.get("FUSE_OIDC_GROUPS_CLAIM") or "groups").strip(),
                           group_map=_group_map(env.get("FUSE_OIDC_GROUP_MAP")))
    mfa = [v.strip() for v in (env.get("FUSE_OIDC_MFA_ACR") or "").split(",") if v.strip()]
    return OidcSettings(
        issuer=issuer, client_id=client_id, client_secret=secret, scopes=scopes, mapping=mapping,
        audience=(env.get("FUSE_OIDC_AUDIENCE") or "").strip() or None,
        mfa_acr=" ".join(mfa) or None,
        password_sign_in=(env.get("FUSE_OIDC_PASSWORD_SIGN_IN") or "0").strip().lower() not in FALSE)


def _group_map(text: str | None) -> dict[str, str]:
    try:
        return parse_group_map(text)
    except BadRequest as err:
        raise ValueError(f"FUSE_OIDC_GROUP_MAP: {err}") from None
