"""The Flask application factory."""
from __future__ import annotations

import os
import secrets

from flask import Flask

from api import (
    audit, authorizations, deployments, events, external_tasks, health, incidents, instances, me, metrics, oidc,
    repair, tasks, web,
)
from api.camunda7 import init_camunda7
from api.cookies import SessionCookies
from api.docs import docs
from api.errors import register_error_handlers
from api.extensions import db
from api.logs import init_request_ids
from api.proxies import trust_proxies
from api.oidc_client import init_oidc
from api.request_parsing import init_request_parsing
from api.throttle import init_rate_limits
from engine.identity.person import check_trust_score
from engine.identity.start_rights import default_start
from engine.store.db import configure_engine, database_url, engine_options

MAX_UPLOAD_BYTES = 32 * 1024 * 1024


def create_app(config: dict | None = None) -> Flask:
    """Build an app; `config` may set DATABASE_URL (else FUSE_DATABASE_URL, else fuse.db)."""
    config = dict(config or {})
    default_start()  # an unknown FUSE_DEFAULT_START stops the server here, not at the first start
    check_trust_score()  # so does a FUSE_TRUST_SCORE that does not compile or gives no number
    url = database_url(config.pop("DATABASE_URL", None))
    app = Flask(__name__)
    trust_proxies(app)  # FUSE_TRUSTED_PROXIES: before anything reads request.remote_addr
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(url),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        # Signs the web session cookie; without FUSE_SECRET_KEY, sessions end when the server restarts.
        SECRET_KEY=os.environ.get("FUSE_SECRET_KEY") or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure on every request when set; without it, on requests that came over https (api/cookies.py).
        SESSION_COOKIE_SECURE=os.environ.get("FUSE_SECURE_COOKIES") == "1",
        # When set, GET /metrics wants it as a bearer token (scrapes are open otherwise).
        METRICS_TOKEN=os.environ.get("FUSE_METRICS_TOKEN") or None,
    )
    init_request_parsing(app)
    app.json.sort_keys = False
    app.session_interface = SessionCookies()
    app.config.update(config)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    register_error_handlers(app)
    init_request_ids(app)
    init_rate_limits(app, exempt=(health.bp,))
    init_oidc(app, os.environ)  # single sign-on when FUSE_OIDC_ISSUER is set; else nothing
    for blueprint in (web.bp, oidc.bp, health.bp, metrics.bp, docs, deployments.bp, instances.bp, tasks.bp,
                      incidents.bp, external_tasks.bp, events.bp, repair.bp, audit.bp, me.bp, authorizations.bp):
        app.register_blueprint(blueprint)
    init_camunda7(app)  # Camunda 7's REST API at /engine-rest
    return app
