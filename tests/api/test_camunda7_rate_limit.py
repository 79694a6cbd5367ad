"""Failed authentication at /engine-rest counts in the same per-address limit as /api/v1's: wrong Basic
credentials, then 429 in Camunda's error body with Retry-After, for both prefixes."""
from __future__ import annotations

import camunda_modeler as modeler
import pytest

from api.app import create_app
from api.extensions import db


@pytest.fixture
def app(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "AUTH_FAILURE_LIMIT": "4 per minute"})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_wrong_basic_credentials_are_rate_limited(client, auth):
    wrong = {"Authorization": modeler.basic("bob", "fuse_wrong")}
    answers = [client.get("/engine-rest/deployment?maxResults=0", headers=wrong).status_code for _ in range(3)]
    answers.append(client.get("/api/v1/me", headers={"Authorization": "Bearer fuse_wrong"}).status_code)
    assert answers == [401] * 4
    limited = client.get("/engine-rest/version", headers=auth["bob"])
    assert limited.status_code == 429 and limited.json["type"] == "RestException"
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/me", headers=auth["bob"]).status_code == 429
    assert client.get("/engine-rest/version", headers=auth["bob"],
                      environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200
