"""A chain longer than Python's recursion limit deploys, starts and runs to its end."""
from __future__ import annotations

import time

from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import start_instance
from helpers import bpmn_document, chain_process, flow, script_task

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


def test_a_long_chain_of_events_and_gateways_runs_to_the_end(sessions):
    body, previous = ['<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>'], "start"
    for index in range(1200):
        tag = "intermediateThrowEvent" if index % 2 else "parallelGateway"
        body += [f'<bpmn:{tag} id="n{index}"/>', flow(f"f{index}", previous, f"n{index}")]
        previous = f"n{index}"
    body.append(flow("f_end", previous, "end"))
    with sessions() as session:
        deploy(session, {"events.bpmn": bpmn_document("\n".join(body), "events")}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="events")
        session.commit()
        assert instance.state == "completed", instance.error


def test_a_chain_of_5000_script_tasks_runs_in_linear_time(sessions):
    # Every step used to walk the chain's predicted tasks (history observer, pruning, SpiffWorkflow's iterator
    # up to 1,000 levels): 5,000 tasks took about 100 s. Each step now costs the same whatever the length (~1 ms).
    with sessions() as session:
        deploy(session, {"chain.bpmn": chain_process(5000)}, None, "tester")
        session.commit()
        began = time.monotonic()
        instance = start_instance(session, ADMIN, definition_key="chain", variables={"n": 0})
        session.commit()
        assert instance.state == "completed", instance.error
        assert instance.variables["n"] == 5000
        assert time.monotonic() - began < 40  # generous: a few seconds on a busy 2-core machine


def test_an_inclusive_join_behind_a_chain_of_3000_tasks_runs(sessions):
    # SpiffWorkflow's inclusive join walks back through the model one nested call per element: behind a long
    # chain that failed the instance with RecursionError (bpmn.inclusive_join does the same walk in a loop).
    body, previous = ['<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>'], "start"
    for index in range(3000):
        body += [script_task(f"t{index}", "x = 1"), flow(f"f{index}", previous, f"t{index}")]
        previous = f"t{index}"
    body += ['<bpmn:inclusiveGateway id="split"/><bpmn:inclusiveGateway id="join"/>',
             script_task("a", "a = 1"), script_task("b", "b = 2"), flow("f_split", previous, "split"),
             flow("f_a", "split", "a", "x == 1"), flow("f_b", "split", "b", "x == 1"), flow("f_a2", "a", "join"),
             flow("f_b2", "b", "join"), flow("f_end", "join", "end")]
    with sessions() as session:
        deploy(session, {"inclusive.bpmn": bpmn_document("\n".join(body), "inclusive")}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="inclusive")
        session.commit()
        assert instance.state == "completed", instance.error
        assert instance.variables["a"] == 1 and instance.variables["b"] == 2
