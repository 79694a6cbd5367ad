"""How many statements a command sends to the database: each is a round trip on PostgreSQL and a pass through
SQLAlchemy's Python layer everywhere, so the hot commands have a budget (issue 15)."""
from __future__ import annotations

import pytest

from engine.deployment.deploy import deploy
from engine.errors import Conflict
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.tasks.user_tasks import claim_task, complete_task, get_task
from helpers import statements_sent, user_task_process

ALICE = Actor("alice", frozenset({"finance"}))
# A user-task completion: lock and read the instance, read its open tasks, write the instance, the task and
# the history. COMMIT is not counted (it is not a statement SQLAlchemy executes).
COMPLETE_BUDGET = 5


def _waiting_task(sessions) -> str:
    with sessions() as session:
        row = start_instance(session, ALICE, definition_key="approval")
        [task] = open_tasks(session, row.id)
        session.commit()
        return task.id


def test_completing_a_user_task_sends_at_most_five_statements(sessions):
    with sessions() as session:
        deploy(session, {"approval.bpmn": user_task_process("approval")}, None, "admin")
        session.commit()
    with sessions() as session:  # the first command on a definition reads and caches it; later ones do not
        complete_task(session, _waiting_task(sessions), ALICE, {})
        session.commit()
    task_id = _waiting_task(sessions)
    with sessions() as session, statements_sent(session.get_bind()) as sent:
        row = complete_task(session, task_id, ALICE, {"approved": True})
        session.commit()
    assert row.state == "completed"
    assert len(sent) <= COMPLETE_BUDGET, "\n".join(sent)
    with sessions() as session:  # and it did everything the extra statements used to do
        assert get_instance(session, row.id).variables["approved"] is True
        assert open_tasks(session, row.id) == []


def test_a_task_read_before_the_lock_is_read_again_after_it(sessions):
    """The statements saved must not cost freshness: a claim committed by someone else between a command's
    first read and its lock is what the command sees."""
    with sessions() as session:
        deploy(session, {"approval.bpmn": user_task_process("approval")}, None, "admin")
        session.commit()
    task_id = _waiting_task(sessions)
    with sessions() as first:
        [stale] = open_tasks(first, get_task(first, task_id).instance_id)
        assert stale.assignee is None
        with sessions() as second:
            claim_task(second, task_id, Actor("bob", frozenset({"finance"})))
            second.commit()
        with pytest.raises(Conflict, match="already claimed by bob"):
            claim_task(first, task_id, ALICE)
