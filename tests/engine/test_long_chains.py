"""A chain longer than Python's recursion limit deploys, starts and runs to its end."""
from __future__ import annotations

from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import start_instance
from helpers import chain_process

ADMIN = Actor("tester", frozenset({"admin"}))


def test_a_chain_of_1200_script_tasks_runs_to_the_end(sessions):
    # SpiffWorkflow predicts a new instance's future one nested call per task: past ~1,000 tasks that was a
    # RecursionError on start. (Longer chains run too, but each step still costs time in the chain's length.)
    with sessions() as session:
        deploy(session, {"chain.bpmn": chain_process(1200)}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="chain", variables={"n": 0})
        session.commit()
        assert instance.state == "completed", instance.error
        assert instance.variables["n"] == 1200
