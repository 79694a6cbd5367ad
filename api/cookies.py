"""The session cookie: Secure when the operator says so (FUSE_SECURE_COOKIES=1) or the request came over https."""
from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marking the cookie Secure on every https request by itself.

    Behind a proxy that ends TLS, the proxy must say so (X-Forwarded-Proto, trusted by the server) or
    FUSE_SECURE_COOKIES=1 must be set.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)
