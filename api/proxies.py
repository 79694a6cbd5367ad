"""The client's address behind reverse proxies: FUSE_TRUSTED_PROXIES says how many stand in front of Fuse.

With N > 0, werkzeug's ProxyFix takes the client address (and the scheme) from the N-th last entry of
X-Forwarded-For (X-Forwarded-Proto), the one the outermost trusted proxy wrote, so `request.remote_addr`
— and with it Actor.client_address, the rate limiter's key and the logs — is the real client, and what a
client writes into the header itself is not believed. With 0 (the default) the headers are ignored: a
client cannot choose its own address.
"""
from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

TRUSTED_PROXIES_VARIABLE = "FUSE_TRUSTED_PROXIES"


def trusted_proxies() -> int:
    """How many reverse proxies to trust; ValueError naming the setting for anything but a whole number >= 0."""
    text = os.environ.get(TRUSTED_PROXIES_VARIABLE, "").strip() or "0"
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"{TRUSTED_PROXIES_VARIABLE}={text!r} is not a number of proxies (0, 1, 2, ...)")
    return count


def trust_proxies(app: Flask) -> None:
    """Read the client address and scheme from the headers of the configured number of proxies (none: unchanged)."""
    count = trusted_proxies()
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
