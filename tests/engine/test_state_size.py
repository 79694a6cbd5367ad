"""What a waiting instance stores of SpiffWorkflow's state (issue 15: at most 1 KB for start -> user task -> end),
and that states written before compression are still read."""
from __future__ import annotations

import json
import zlib

from sqlalchemy import text

from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import open_tasks, start_instance
from engine.tasks.user_tasks import complete_task
from helpers import user_task_process

ALICE = Actor("alice", frozenset({"finance"}))
STATE_BUDGET = 1024


def _waiting(sessions) -> str:
    with sessions() as session:
        deploy(session, {"approval.bpmn": user_task_process("approval")}, None, "alice")
        row = start_instance(session, ALICE, definition_key="approval", variables={"amount": 120})
        session.commit()
        return row.id


def _stored(session, instance_id: str) -> bytes:
    value = session.execute(text("SELECT workflow_state FROM process_instances WHERE id = :id"),
                            {"id": instance_id}).scalar_one()
    return value.encode() if isinstance(value, str) else bytes(value)


def test_a_waiting_user_task_instance_stores_at_most_one_kilobyte_of_state(sessions):
    instance_id = _waiting(sessions)
    with sessions() as session:
        stored = _stored(session, instance_id)
        assert len(stored) <= STATE_BUDGET, len(stored)
        state = json.loads(zlib.decompress(stored))  # deflated JSON, nothing else
        assert state["typename"] == "BpmnWorkflow" and len(json.dumps(state)) > 2 * len(stored)


def test_a_state_written_before_compression_is_read_and_written_back_deflated(sessions):
    instance_id = _waiting(sessions)
    with sessions() as session:
        plain = zlib.decompress(_stored(session, instance_id))
        # As migration 0020 leaves an old row: the JSON itself (bytes on PostgreSQL, text on SQLite).
        old = plain if session.get_bind().dialect.name == "postgresql" else plain.decode()
        session.execute(text("UPDATE process_instances SET workflow_state = :s WHERE id = :id"),
                        {"s": old, "id": instance_id})
        session.commit()
    with sessions() as session:
        [task] = open_tasks(session, instance_id)
        done = complete_task(session, task.id, ALICE, {"approved": True})
        session.commit()
        assert done.state == "completed" and done.variables["amount"] == 120
        assert _stored(session, instance_id)[:1] == b"\x78"
