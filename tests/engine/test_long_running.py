"""A long loop keeps a flat per-step cost: finished history leaves the live workflow state."""
from __future__ import annotations

from statistics import median

from engine.deployment.deploy import deploy
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import start_instance
from helpers import loop_process

ADMIN = Actor("tester", frozenset({"admin"}))


def test_loop_of_5000_iterations_runs_to_the_end_with_flat_step_cost(sessions):
    with sessions() as session:
        deploy(session, {"loop.bpmn": loop_process(5000)}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="loop", variables={"i": 0})
        session.commit()
        assert instance.state == "completed", instance.error
        assert instance.variables["i"] == 5000
        # SpiffWorkflow alone would have stalled near depth 1000 (~333 iterations).
        completions = [e.at for e in instance_history(session, instance.id)
                       if e.type == "activity_completed" and e.activity_id == "count"]
        assert len(completions) == 5000
        # Per-iteration times from consecutive completions; medians shrug off a GC pause or a
        # busy neighbour, while a cost that grows with history would still double them.
        steps = [(b - a).total_seconds() for a, b in zip(completions, completions[1:])]
        first_tenth, last_tenth = median(steps[:500]), median(steps[-500:])
        assert last_tenth <= 2 * first_tenth, (first_tenth, last_tenth)


def test_waiting_instance_state_stays_small_after_a_long_loop(sessions):
    body_times = 2000
    with sessions() as session:
        from helpers import bpmn_document, flow, script_task
        model = bpmn_document(
            '<bpmn:startEvent id="start"/>' + script_task("count", "i = i + 1")
            + '<bpmn:exclusiveGateway id="again" default="f_wait"/>'
            + '<bpmn:userTask id="wait" name="Wait"/><bpmn:endEvent id="end"/>'
            + flow("f1", "start", "count") + flow("f2", "count", "again")
            + flow("f_loop", "again", "count", f"${{i < {body_times}}}") + flow("f_wait", "again", "wait")
            + flow("f3", "wait", "end"), "loop_then_wait")
        deploy(session, {"loop.bpmn": model}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="loop_then_wait", variables={"i": 0})
        session.commit()
        assert instance.state == "active"
        assert instance.variables["i"] == body_times
        # The state holds the live tasks only, not 6,000 finished ones.
        assert len(instance.workflow_state) < 20_000, len(instance.workflow_state)


def test_sub_process_in_a_loop_runs_and_finished_sub_processes_leave_the_state(sessions):
    from helpers import bpmn_document, flow, script_task

    inner = ('<bpmn:subProcess id="inner"><bpmn:startEvent id="i_start"/>' + script_task("i_work", "i = i + 1")
             + '<bpmn:endEvent id="i_end"/>' + flow("i1", "i_start", "i_work") + flow("i2", "i_work", "i_end")
             + '</bpmn:subProcess>')
    model = bpmn_document(
        '<bpmn:startEvent id="start"/>' + inner + '<bpmn:exclusiveGateway id="again" default="f_done"/>'
        '<bpmn:userTask id="wait"/><bpmn:endEvent id="end"/>'
        + flow("f1", "start", "inner") + flow("f2", "inner", "again")
        + flow("f_loop", "again", "inner", "${i < 200}") + flow("f_done", "again", "wait") + flow("f3", "wait", "end"),
        "sub_loop")
    with sessions() as session:
        deploy(session, {"sub.bpmn": model}, None, "tester")
        instance = start_instance(session, ADMIN, definition_key="sub_loop", variables={"i": 0})
        session.commit()
        assert instance.state == "active", instance.error
        assert instance.variables["i"] == 200
        assert len(instance.workflow_state) < 20_000, len(instance.workflow_state)


def test_loops_through_boundary_events_and_parallel_branches_keep_the_state_flat(sessions):
    from engine.instances.commands import open_tasks
    from engine.tasks.user_tasks import complete_task
    from helpers import bpmn_document, flow, script_task

    model = bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="merge"/>'
        '<bpmn:userTask id="work"/><bpmn:boundaryEvent id="late" attachedToRef="work" cancelActivity="true">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1H</bpmn:timeDuration>'
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="end_late"/>'
        '<bpmn:parallelGateway id="split"/>' + script_task("left", "a = n") + script_task("right", "b = n * 2")
        + '<bpmn:parallelGateway id="join"/>' + script_task("count", "n = n + 1")
        + flow("f1", "start", "merge") + flow("f2", "merge", "work") + flow("f3", "work", "split")
        + flow("f4", "split", "left") + flow("f5", "split", "right") + flow("f6", "left", "join")
        + flow("f7", "right", "join") + flow("f8", "join", "count") + flow("f9", "count", "merge")
        + flow("f10", "late", "end_late"), "flat")
    sizes = []
    with sessions() as session:
        deploy(session, {"flat.bpmn": model}, None, "tester")
        instance_id = start_instance(session, ADMIN, definition_key="flat", variables={"n": 0}).id
        session.commit()
        for round_ in range(60):
            task = open_tasks(session, instance_id)[0]
            done = complete_task(session, task.id, ADMIN, {})
            session.commit()
            if round_ in (9, 59):
                sizes.append(len(done.workflow_state))
        assert done.variables["n"] == 60
        assert sizes[1] <= sizes[0] * 1.15, sizes
