"""Statements per REST command (issue 15): a user-task completion through /api/v1 costs at most six, the
caller's token and grants being remembered for a few seconds (engine/identity/identity_cache.py) and the answer
built from the rows in memory."""
from __future__ import annotations

import pytest

from api.extensions import db
from engine.identity.users import add_user, list_tokens, revoke_token
from helpers import deploy, start, statements_sent, user_task_process

REST_COMPLETE_BUDGET = 6


def _complete(client, headers, task_id: str):
    response = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={"variables": {"ok": True}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("user", ["demo", "alice"])  # an admin, and a candidate checked by her grants
def test_completing_a_user_task_over_rest_sends_at_most_six_statements(app, client, auth, user):
    deploy(client, auth["demo"], ("approval.bpmn", user_task_process("approval")))
    first, second = (start(client, auth["demo"], "approval").get_json()["open_tasks"][0]["id"] for _ in range(2))
    _complete(client, auth[user], first)  # the first request of a caller reads its token and grants
    with app.app_context():
        engine = db.engine
    with statements_sent(engine) as sent:
        body = _complete(client, auth[user], second)
    assert body["state"] == "completed" and body["open_tasks"] == [] and body["variables"]["ok"] is True
    assert len(sent) <= REST_COMPLETE_BUDGET, "\n".join(sent)


def test_a_revoked_token_and_new_groups_count_at_once_in_the_same_process(app, client, auth):
    assert client.get("/api/v1/me", headers=auth["alice"]).get_json()["groups"] == ["finance"]  # remembered now
    with app.app_context():
        add_user(db.session, "alice", ["finance", "sales"])
        db.session.commit()
    assert client.get("/api/v1/me", headers=auth["alice"]).get_json()["groups"] == ["finance", "sales"]
    with app.app_context():
        [token] = list_tokens(db.session, "alice")
        revoke_token(db.session, token.id)
        db.session.commit()
    assert client.get("/api/v1/me", headers=auth["alice"]).status_code == 401
