"""Every route has one rule in api/permissions.py, the README shows the same table, a route without one is refused."""
from __future__ import annotations

from api.blueprints import api_blueprint
from api.permissions import ROUTES, route_table_markdown
from helpers import ROOT


def test_every_route_of_the_app_has_a_rule(app):
    missing = sorted(rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint not in ROUTES)
    assert missing == []
    stale = sorted(set(ROUTES) - {rule.endpoint for rule in app.url_map.iter_rules()})
    assert stale == []


def test_the_readme_shows_the_same_table(app):
    assert route_table_markdown(app) in (ROOT / "README.md").read_text(), (
        "paste api.permissions.route_table_markdown(app) into the README's 'Who may call what'")


def test_an_api_route_without_a_rule_is_refused(app, auth):
    extra = api_blueprint("unlisted", __name__)
    extra.add_url_rule("/unlisted", "unlisted", lambda: {"ok": True})
    app.register_blueprint(extra)
    response = app.test_client().get("/api/v1/unlisted", headers=auth["demo"])
    assert response.status_code == 403 and response.content_type == "application/problem+json"
