"""Two clients completing one task at once: exactly one wins, the task's effects happen once."""
from __future__ import annotations

import threading

from engine.deployment.deploy import deploy
from engine.errors import Conflict
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.tasks.user_tasks import complete_task
from helpers import bpmn_document, flow, script_task

ADMIN = Actor("admin", frozenset({"admin", "finance"}))
ALICE = Actor("alice", frozenset({"finance"}))

# The script after the task counts how often it ran: it must be exactly once.
MODEL = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:userTask id="approve" camunda:candidateGroups="finance"/>'
    + script_task("after", "runs = runs + 1") + '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "approve") + flow("f2", "approve", "after") + flow("f3", "after", "end"), "race")


def race(sessions, task_id: str) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def complete(actor: Actor):
        with sessions() as session:
            barrier.wait()
            try:
                complete_task(session, task_id, actor, {"by": actor.name})
                session.commit()
                outcomes.append("ok")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=complete, args=(a,)) for a in (ADMIN, ALICE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_concurrent_completion_of_one_task_succeeds_exactly_once(sessions):
    with sessions() as session:
        deploy(session, {"race.bpmn": MODEL}, None, "admin")
        session.commit()
    for _ in range(5):
        with sessions() as session:
            instance = start_instance(session, ADMIN, definition_key="race", variables={"runs": 0})
            session.commit()
            task_id = open_tasks(session, instance.id)[0].id
        assert race(sessions, task_id) == ["conflict", "ok"]
        with sessions() as session:
            final = get_instance(session, instance.id)
            assert final.state == "completed"
            assert final.variables["runs"] == 1
            types = [e.type for e in instance_history(session, instance.id)]
            assert types.count("task_completed") == 1
            assert types.count("instance_completed") == 1
