"""Liveness: the only endpoint without a token."""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text

from api.docs import operation
from api.extensions import db
from api.schemas import HealthSchema

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation("Is the server up and its database reachable", response=HealthSchema, errors=())
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
