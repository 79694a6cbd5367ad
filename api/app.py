"""The Flask application factory."""
from __future__ import annotations

from flask import Flask

from api import deployments, health, home, instances, tasks
from api.docs import docs
from api.errors import register_error_handlers
from api.extensions import db
from engine.db import configure_engine, database_url, engine_options

MAX_UPLOAD_BYTES = 32 * 1024 * 1024


def create_app(config: dict | None = None) -> Flask:
    """Build an app; `config` may set DATABASE_URL (else FUSE_DATABASE_URL, else fuse.db)."""
    config = dict(config or {})
    url = database_url(config.pop("DATABASE_URL", None))
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(url),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
    )
    app.json.sort_keys = False
    app.config.update(config)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    register_error_handlers(app)
    for blueprint in (home.bp, health.bp, docs, deployments.bp, instances.bp, tasks.bp):
        app.register_blueprint(blueprint)
    return app
