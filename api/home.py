"""The landing page: where to go from here."""
from __future__ import annotations

from flask import Blueprint, render_template

from api.extensions import db
from engine.instances import count_summary

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("index.html", **count_summary(db.session))
