"""Rate limits on failed authentication, per client address (Flask-Limiter).

Every answer 401 (a wrong or expired API token, a wrong password or code on the sign-in form) counts
against the caller's address; past the limit, every request from that address gets 429 with
Retry-After until the window ends. Successful requests never count. The counts live in memory
of each process; with several serving processes (`fuse serve --workers N`) each allows its share of the limit,
so that together they allow no more than it. FUSE_RATELIMIT_STORAGE_URI (e.g. redis://host:6379) shares the
counts between processes and machines instead.
"""
from __future__ import annotations

import math
import os
import time

from flask import Flask, Response, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse_many

from api.errors import problem
from api.extensions import db

DEFAULT_FAILURE_LIMIT = "20 per minute"
# The pages answer a 429 with the sign-in page saying why (people read it), the API with problem+json.
PAGES = "web"


def _failed_authentication(response: Response) -> bool:
    return response.status_code == 401


def init_rate_limits(app: Flask, exempt: tuple = ()) -> Limiter:
    """A limiter of its own for this app (tests get fresh counts with every app)."""
    app.config.setdefault("AUTH_FAILURE_LIMIT", os.environ.get("FUSE_AUTH_FAILURE_LIMIT") or DEFAULT_FAILURE_LIMIT)
    app.config.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("FUSE_RATELIMIT_STORAGE_URI") or "memory://")
    storage_uri = app.config["RATELIMIT_STORAGE_URI"]
    limiter = Limiter(get_remote_address, app=app, storage_uri=storage_uri,
                      application_limits=[process_share(app.config["AUTH_FAILURE_LIMIT"], storage_uri)],
                      application_limits_deduct_when=_failed_authentication)
    for blueprint in exempt:
        limiter.exempt(blueprint)
    app.extensions["fuse_rate_limit_exempt"] = {blueprint.name for blueprint in exempt}  # the document's 429s
    app.register_error_handler(RateLimitExceeded, lambda err: _too_many(limiter, err))
    return limiter


def process_share(limit: str, storage_uri: str) -> str:
    """What one process allows of `limit` when each of FUSE_SERVE_WORKERS processes counts in its own memory."""
    processes = int(os.environ.get("FUSE_SERVE_WORKERS") or 1)
    if processes == 1 or not storage_uri.startswith("memory://"):
        return limit
    return "; ".join(f"{math.ceil(item.amount / processes)} per {item.multiples} {item.GRANULARITY.name}"
                     for item in parse_many(limit))


def _too_many(limiter: Limiter, err: RateLimitExceeded):
    db.session.rollback()
    current = limiter.current_limit
    retry_after = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    detail = (f"too many failed sign-ins or API tokens from {request.remote_addr} (limit {err.limit.limit}); "
              f"try again in {retry_after} s")
    if request.blueprint == PAGES:
        response = Response(render_template("login.html", next="/", name="", error=detail[0].upper() + detail[1:]),
                            status=429, mimetype="text/html")
    else:
        response = problem(429, "too-many-requests", "Too many requests", detail, retry_after=retry_after)
    response.headers["Retry-After"] = str(retry_after)
    return response
