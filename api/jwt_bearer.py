"""The identity provider's access tokens as API credentials: `Authorization: Bearer <JWT>`.

A token is accepted when the provider's key signed it (its JWKS, from the discovery document's jwks_uri) with
an algorithm on ALGORITHMS (public-key signatures only: never "none", never an HMAC that a public key would
"verify"), and its issuer, audience (FUSE_OIDC_AUDIENCE) and expiry (with LEEWAY_S) are right. The keys are
fetched with a timeout and kept; a token signed with a key id not among them fetches them again, at most once
per REFRESH_INTERVAL_S, so a stream of made-up key ids cannot make Fuse hammer the provider.
"""
from __future__ import annotations

import threading
import time

import requests
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from api.oidc_settings import OidcSettings
from engine.errors import Unauthorized

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY_S = 30
REFRESH_INTERVAL_S = 60.0
MAX_TOKEN_CHARS = 16_384


def looks_like_jwt(token: str) -> bool:
    """Three dot-separated parts: a JWS in compact form (Fuse's own tokens start with fuse_ and have no dots)."""
    return token.count(".") == 2 and not token.startswith("fuse_")


class ProviderKeys:
    """The provider's signing keys, fetched on first use and again (rate-limited) when a key id is unknown."""

    def __init__(self, settings: OidcSettings):
        self.settings = settings
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self.fetched_at = float("-inf")

    def keys(self, refresh: bool = False) -> KeySet:
        with self._lock:
            due = time.monotonic() - self.fetched_at >= REFRESH_INTERVAL_S
            if self._keys is None and not due:
                raise Unauthorized("the identity provider's keys could not be fetched; try again in a minute")
            if self._keys is None or (refresh and due):
                self.fetched_at = time.monotonic()
                self._keys = self._fetch()
            return self._keys

    def _fetch(self) -> KeySet | None:
        try:
            metadata = self._get_json(self.settings.metadata_url)
            return KeySet.import_key_set(self._get_json(metadata["jwks_uri"]))
        except (requests.RequestException, ValueError, KeyError, TypeError, JoseError):
            if self._keys is not None:
                return self._keys  # keep the keys we had
            raise Unauthorized("the identity provider's keys could not be fetched; try again in a minute") from None

    def _get_json(self, url: str):
        response = requests.get(url, timeout=self.settings.http_timeout_s, allow_redirects=False)
        response.raise_for_status()
        return response.json()


def verified_claims(settings: OidcSettings, keys: ProviderKeys, token: str) -> dict:
    """The claims of a valid access token for Fuse's API; Unauthorized (saying why) for anything else."""
    if settings.audience is None:
        raise Unauthorized("the identity provider's tokens are not accepted here (FUSE_OIDC_AUDIENCE is not set)")
    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthorized("the bearer token is too long")
    try:
        try:
            decoded = jwt.decode(token, keys.keys(), algorithms=ALGORITHMS)
        except InvalidKeyIdError:
            decoded = jwt.decode(token, keys.keys(refresh=True), algorithms=ALGORITHMS)
        JWTClaimsRegistry(leeway=LEEWAY_S, iss={"essential": True, "value": settings.issuer},
                          aud={"essential": True, "value": settings.audience},
                          exp={"essential": True}).validate(decoded.claims)
    except JoseError as err:
        raise Unauthorized(f"the bearer token is not valid: {err.error}"
                           + (f" ({err.description})" if err.description else "")) from None
    except (ValueError, TypeError):
        raise Unauthorized("the bearer token is not a valid JWT") from None
    return decoded.claims
