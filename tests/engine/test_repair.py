"""Repairs: retry what failed, move a token, rewind to an earlier task, migrate to another version."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from engine.definitions.catalog import latest_definition

from engine.deployment.deploy import deploy
from engine.errors import Conflict, Forbidden, ValidationFailed
from engine.handlers.registry import register
from engine.history.reading import instance_history
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, patch_variables, start_instance, suspend_instance
from engine.repair.migration import migrate_instance
from engine.store.models import ExternalTask, Incident
from engine.repair.repair import move_token, retry_instance, rewind_instance
from engine.history.replay import last_entry, variables_before
from engine.tasks.user_tasks import complete_task
from helpers import bpmn_document, flow, script_task

ADMIN = Actor("admin", frozenset({"admin"}))
ALICE = Actor("alice", frozenset({"finance"}))
HANDLER = {"fail": True}


@register("repair_flaky")
def repair_flaky(inputs, context):
    if HANDLER["fail"]:
        raise ConnectionError("the ledger is down")
    return {"booked": True}


def process(key: str, body: str, *flows: tuple) -> bytes:
    return bpmn_document(body + "".join(flow(*f) for f in flows), key)


# start -> prepare (x = 1) -> divide (y = 10 / z) -> review (user) -> end
DIVIDE = process("divide", '<bpmn:startEvent id="start"/>' + script_task("prepare", "x = 1; runs = runs + 1")
                 + script_task("divide", "y = 10 / z") + '<bpmn:userTask id="review"/><bpmn:endEvent id="end"/>',
                 ("f1", "start", "prepare"), ("f2", "prepare", "divide"), ("f3", "divide", "review"),
                 ("f4", "review", "end"))

# start -> charge (external worker, may never come) -> confirm (user) -> end
STUCK = process("stuck", '<bpmn:startEvent id="start"/><bpmn:serviceTask id="charge" camunda:type="external" '
                'camunda:topic="ledger"/><bpmn:userTask id="confirm"/><bpmn:endEvent id="end"/>',
                ("f1", "start", "charge"), ("f2", "charge", "confirm"), ("f3", "confirm", "end"))

# start -> split -> (left_a -> left_b) | right -> join -> after -> end
PARALLEL = process("parallel", '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/>'
                   '<bpmn:userTask id="left_a"/><bpmn:userTask id="left_b"/><bpmn:userTask id="right"/>'
                   '<bpmn:parallelGateway id="join"/><bpmn:userTask id="after"/><bpmn:endEvent id="end"/>',
                   ("f1", "start", "split"), ("f2", "split", "left_a"), ("f3", "left_a", "left_b"),
                   ("f4", "split", "right"), ("f5", "left_b", "join"), ("f6", "right", "join"),
                   ("f7", "join", "after"), ("f8", "after", "end"))

# start -> sub [inner_start -> inner -> inner_end] -> after -> end, and a timer on `after`
SUB = process("outer", '<bpmn:startEvent id="start"/><bpmn:subProcess id="sub"><bpmn:startEvent id="inner_start"/>'
              '<bpmn:userTask id="inner"/><bpmn:endEvent id="inner_end"/>' + flow("g1", "inner_start", "inner")
              + flow("g2", "inner", "inner_end") + '</bpmn:subProcess><bpmn:userTask id="after"/>'
              '<bpmn:boundaryEvent id="late" attachedToRef="after"><bpmn:timerEventDefinition><bpmn:timeDuration>'
              'PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
              '<bpmn:endEvent id="end"/><bpmn:endEvent id="late_end"/>',
              ("f1", "start", "sub"), ("f2", "sub", "after"), ("f3", "after", "end"), ("f4", "late", "late_end"))

# start -> fill (user) -> double (x = x * 2, note = "doubled") -> check (user) -> end
REWIND = process("rewind", '<bpmn:startEvent id="start"/><bpmn:userTask id="fill"/>'
                 + script_task("double", "x = x * 2; note = 'doubled'") + '<bpmn:userTask id="check"/>'
                 '<bpmn:endEvent id="end"/>',
                 ("f1", "start", "fill"), ("f2", "fill", "double"), ("f3", "double", "check"), ("f4", "check", "end"))


def review(key: str, approve_id: str = "approve", extra: str = "", flows: tuple = ()) -> bytes:
    """start -> review -> [extra] -> approve -> end (versions of one process for migration)."""
    first = flows[0] if flows else ("f2", "review", approve_id)
    return process(key, '<bpmn:startEvent id="start"/><bpmn:userTask id="review"/>' + extra
                   + f'<bpmn:userTask id="{approve_id}"/><bpmn:endEvent id="end"/>',
                   ("f1", "start", "review"), first, *flows[1:], ("f3", approve_id, "end"))


def activities(row) -> list[str]:
    return sorted(a["activity_id"] for a in row.active_activities)


def events(session, instance_id: str, type: str) -> list:
    return [e for e in instance_history(session, instance_id) if e.type == type]


def complete(session, instance_id: str, activity_id: str, variables: dict | None = None):
    task = next(t for t in open_tasks(session, instance_id) if t.activity_id == activity_id)
    row = complete_task(session, task.id, ADMIN, variables or {})
    session.commit()
    return row


def started(sessions, model: bytes, key: str, variables: dict | None = None) -> str:
    with sessions() as session:
        deploy(session, {f"{key}.bpmn": model}, None, "admin")
        row = start_instance(session, ADMIN, definition_key=key, variables=variables or {})
        session.commit()
        return row.id


def unchanged(session, instance_id: str, attempt) -> None:
    """`attempt` fails, and the instance is exactly as it was."""
    before = get_instance(session, instance_id)
    state, seq, activity_list = before.workflow_state, before.history_seq, before.active_activities
    session.commit()
    with pytest.raises((ValidationFailed, Conflict, Forbidden)) as failure:
        attempt()
    session.rollback()
    after = get_instance(session, instance_id)
    assert (after.workflow_state, after.history_seq, after.active_activities) == (state, seq, activity_list)
    return failure.value


def move(session, instance_id: str, source: str, target: str, reason: str = "repair"):
    """Move a token and commit."""
    row = move_token(session, instance_id, ADMIN, source, target, reason)
    session.commit()
    return row


def refused_move(session, instance_id: str, source: str, target: str, actor: Actor = ADMIN, reason: str = "r"):
    """A move that fails and changes nothing; returns its error."""
    return unchanged(session, instance_id, lambda: move_token(session, instance_id, actor, source, target, reason))


def test_retry_runs_a_failed_script_again_once_its_variable_is_fixed(sessions):
    instance_id = started(sessions, DIVIDE, "divide", {"z": 0, "runs": 0})
    with sessions() as session:
        assert get_instance(session, instance_id).state == "failed"
        patch_variables(session, instance_id, ADMIN, {"z": 2})
        row = retry_instance(session, instance_id, ADMIN, "z fixed by hand")
        session.commit()
        assert row.state == "active" and row.error is None and activities(row) == ["review"]
        assert row.variables["y"] == 5 and row.variables["runs"] == 1  # only the failed activity ran again
        [event] = events(session, instance_id, "instance_retried")
        assert event.actor == "admin" and event.data["reason"] == "z fixed by hand"
        assert event.data["activities"] == ["divide"]
        assert event.data["before"]["state"] == "failed" and event.data["after"]["state"] == "active"
        assert event.data["before"]["active_activities"] == ["divide"]


def test_retry_that_fails_again_leaves_the_instance_failed_and_retry_needs_something_to_retry(sessions):
    instance_id = started(sessions, DIVIDE, "divide", {"z": 0, "runs": 0})
    with sessions() as session:
        row = retry_instance(session, instance_id, ADMIN, "try once more")
        session.commit()
        assert row.state == "failed" and len(events(session, instance_id, "instance_failed")) == 2
        patch_variables(session, instance_id, ADMIN, {"z": 5})
        retry_instance(session, instance_id, ADMIN, "now")
        session.commit()
        failure = unchanged(session, instance_id, lambda: retry_instance(session, instance_id, ADMIN, "again"))
        assert isinstance(failure, Conflict) and "nothing to retry" in failure.detail


def test_retry_reruns_open_incidents(sessions):
    model = process("book", '<bpmn:startEvent id="start"/><bpmn:serviceTask id="book" camunda:class="repair_flaky">'
                    '<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R1/PT1S</camunda:failedJobRetryTimeCycle>'
                    '</bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="end"/>',
                    ("f1", "start", "book"), ("f2", "book", "end"))
    HANDLER["fail"] = True
    instance_id = started(sessions, model, "book")
    with sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.instance_id == instance_id))
        assert incident.state == "open" and get_instance(session, instance_id).state == "active"
        HANDLER["fail"] = False
        row = retry_instance(session, instance_id, ADMIN, "ledger is back")
        session.commit()
        assert row.state == "completed" and row.variables["booked"] is True
        session.refresh(incident)
        assert incident.state == "resolved" and incident.resolved_by == "admin"
        assert [e.type for e in instance_history(session, instance_id)].count("incident_retried") == 1


def test_move_skips_a_stuck_service_task(sessions):
    instance_id = started(sessions, STUCK, "stuck", {"order": 7})
    with sessions() as session:
        assert session.scalars(select(ExternalTask).where(ExternalTask.instance_id == instance_id)).all()
        row = move(session, instance_id, "charge", "confirm", "the ledger charged it by hand")
        assert row.state == "active" and activities(row) == ["confirm"] and row.variables == {"order": 7}
        assert not session.scalars(select(ExternalTask).where(ExternalTask.instance_id == instance_id)).all()
        [event] = events(session, instance_id, "token_moved")
        assert (event.data["from_activity_id"], event.data["to_activity_id"]) == ("charge", "confirm")
        assert event.data["before"]["active_activities"] == ["charge"]
        assert event.data["after"]["active_activities"] == ["confirm"]
        assert [e.activity_id for e in events(session, instance_id, "activity_cancelled")] == ["charge"]
        assert complete(session, instance_id, "confirm").state == "completed"


def test_move_back_runs_a_path_again_and_revives_a_failed_instance(sessions):
    instance_id = started(sessions, DIVIDE, "divide", {"z": 0, "runs": 0})
    with sessions() as session:
        patch_variables(session, instance_id, ADMIN, {"z": 10})
        row = move(session, instance_id, "divide", "prepare", "run the whole path again")
        assert row.state == "active" and activities(row) == ["review"]
        assert row.variables["runs"] == 2 and row.variables["y"] == 1
        row = move(session, instance_id, "review", "prepare", "and once more")
        assert row.variables["runs"] == 3 and activities(row) == ["review"]
        assert len(events(session, instance_id, "token_moved")) == 2


def test_moves_that_cannot_be_made_change_nothing(sessions):
    instance_id = started(sessions, SUB, "outer")
    with sessions() as session:
        cases = {
            ("after", "inner"): "holds no token",
            ("inner", "nowhere"): "does not exist",
            ("inner", "late"): "boundary event",
        }
        for (source, target), message in cases.items():
            failure = refused_move(session, instance_id, source, target)
            assert message in failure.detail and failure.status == 422
            assert failure.extra["activity_id"] == (source if message == "holds no token" else target)
        assert isinstance(refused_move(session, instance_id, "inner", "after", actor=ALICE), Forbidden)
        failure = refused_move(session, instance_id, "inner", "after", reason=" ")
        assert failure.status == 422 and failure.extra["field"] == "reason"
        suspend_instance(session, instance_id, ADMIN)
        session.commit()
        failure = refused_move(session, instance_id, "inner", "after")
        assert failure.status == 409 and "resume it first" in failure.detail


def test_moving_into_a_sub_process_that_is_not_running_is_refused(sessions):
    instance_id = started(sessions, SUB, "outer")
    with sessions() as session:
        row = move(session, instance_id, "inner", "after", "skip the sub-process")
        assert activities(row) == ["after", "late"]
        assert sorted(e.activity_id for e in events(session, instance_id, "activity_cancelled")) == ["inner", "sub"]
        failure = refused_move(session, instance_id, "after", "inner")
        assert "inside a sub-process that is not running" in failure.detail
        failure = refused_move(session, instance_id, "late", "late_end")
        assert "boundary event" in failure.detail and failure.extra["activity_id"] == "late"
        row = move(session, instance_id, "after", "sub", "do the sub-process again")
        assert activities(row) == ["inner", "sub"]
        complete(session, instance_id, "inner")
        assert complete(session, instance_id, "after").state == "completed"


@pytest.mark.parametrize("source", ["broken", "sub"])
def test_a_failure_inside_a_sub_process_is_left_behind_by_moving_out(sessions, source):
    model = process("outer", '<bpmn:startEvent id="start"/><bpmn:subProcess id="sub"><bpmn:startEvent id="s0"/>'
                    + script_task("broken", "y = 1 / 0") + '<bpmn:endEvent id="s9"/>' + flow("g1", "s0", "broken")
                    + flow("g2", "broken", "s9") + '</bpmn:subProcess><bpmn:userTask id="after"/>'
                    '<bpmn:endEvent id="end"/>', ("f1", "start", "sub"), ("f2", "sub", "after"), ("f3", "after", "end"))
    instance_id = started(sessions, model, "outer")
    with sessions() as session:
        assert activities(get_instance(session, instance_id)) == ["broken", "sub"]
        row = move(session, instance_id, source, "after", "the sub-process is done by hand")
        assert row.state == "active" and row.error is None and activities(row) == ["after"]
        assert complete(session, instance_id, "after").state == "completed"


def test_completed_instances_cannot_be_moved(sessions):
    instance_id = started(sessions, STUCK, "stuck")
    with sessions() as session:
        move(session, instance_id, "charge", "confirm", "skip")
        complete(session, instance_id, "confirm")
        failure = refused_move(session, instance_id, "confirm", "charge")
        assert failure.status == 409


def test_a_branch_moved_to_its_join_arrives_there(sessions):
    instance_id = started(sessions, PARALLEL, "parallel")
    with sessions() as session:
        row = move(session, instance_id, "left_a", "join", "the left branch is done elsewhere")
        assert activities(row) == ["join", "right"]
        assert not [e for e in instance_history(session, instance_id)
                    if e.type == "activity_entered" and e.activity_id == "left_b"]  # the arrival did not run
        row = complete(session, instance_id, "right")
        assert activities(row) == ["after"]


def test_a_branch_moved_past_its_join_leaves_the_join_waiting(sessions):
    instance_id = started(sessions, PARALLEL, "parallel")
    with sessions() as session:
        row = move(session, instance_id, "left_a", "after", "left branch not needed")
        assert activities(row) == ["after", "right"]
        complete(session, instance_id, "right")
        row = complete(session, instance_id, "after")
        # The join still waits for the left branch: it never fires a second `after`.
        assert row.state == "active" and activities(row) == ["join"]
        failure = refused_move(session, instance_id, "join", "join")
        assert "on none of them" in failure.detail
        row = move(session, instance_id, "join", "end", "nothing left to wait for")
        assert row.state == "completed"


def test_rewind_returns_to_a_user_task_with_the_variables_it_had(sessions):
    instance_id = started(sessions, REWIND, "rewind", {"x": 1, "api_token": "t-1"})
    with sessions() as session:
        complete(session, instance_id, "fill", {"x": 5, "comment": "first try"})
        patch_variables(session, instance_id, ADMIN, {"api_token": "t-2"})
        session.commit()
        assert get_instance(session, instance_id).variables["x"] == 10
        row = rewind_instance(session, instance_id, ADMIN, "fill", "the form was filled wrongly")
        session.commit()
        assert activities(row) == ["fill"]
        # x as it was when `fill` was entered; what came after is gone; the masked token keeps its value.
        assert row.variables == {"x": 1, "api_token": "t-2"}
        [event] = events(session, instance_id, "instance_rewound")
        assert event.data["variables"]["after"]["x"] == 1 and event.data["variables"]["before"]["x"] == 10
        assert event.data["variables"]["after"]["api_token"] == "***"  # the history never shows it
        assert event.data["before"]["active_activities"] == ["check"]
        complete(session, instance_id, "fill", {"x": 3})
        assert get_instance(session, instance_id).variables["x"] == 6
        row = rewind_instance(session, instance_id, ADMIN, "check", "look again")
        session.commit()
        assert row.variables["x"] == 6 and row.variables["note"] == "doubled"


def test_rewind_to_an_activity_never_entered_is_refused(sessions):
    instance_id = started(sessions, REWIND, "rewind", {"x": 1})
    with sessions() as session:
        failure = unchanged(session, instance_id, lambda: rewind_instance(session, instance_id, ADMIN, "check", "r"))
        assert failure.status == 422 and "never entered" in failure.detail and failure.extra["activity_id"] == "check"
        failure = unchanged(session, instance_id, lambda: rewind_instance(session, instance_id, ADMIN, "fill", ""))
        assert failure.extra["field"] == "reason"


def test_replay_reads_both_formats_of_variable_changes_and_keeps_masked_values_current():
    def event(seq, type, data=None, activity_id=None):
        return SimpleNamespace(seq=seq, type=type, data=data, activity_id=activity_id)
    history = [
        event(1, "instance_started", {"variables": {"a": 1, "pin": "***", "card": {"no": "***", "kind": "visa"}},
                                      "masked": ["card", "pin"]}),
        event(2, "variables_changed", {"set": {"b": 2}, "removed": ["a"]}),
        event(3, "variables_changed", {"set": {"c": 3, "pin": "***"}, "before": {"pin": "***"}, "removed": [],
                                       "masked": ["pin"]}),
        event(4, "message_received", {"name": "m", "variables": {"d": 4}}),
        event(5, "activity_entered", activity_id="target"),
        event(6, "variables_changed", {"set": {"b": 20}}),
    ]
    current = {"pin": "1234", "card": {"no": "4111", "kind": "amex"}, "b": 99}
    assert last_entry(history, "target").seq == 5 and last_entry(history, "other") is None
    assert variables_before(history, 5, current) == {
        "pin": "1234", "card": {"no": "4111", "kind": "visa"}, "b": 2, "c": 3, "d": 4}
    rewound = event(7, "instance_rewound", {"variables": {"before": {}, "after": {"x": 1, "pin": "***"}},
                                            "masked": ["after", "before"]})
    assert variables_before([*history, rewound, event(8, "activity_entered")], 8, current) == {"x": 1, "pin": "1234"}
    assert variables_before(history, 5, {}) == {"card": {"kind": "visa"}, "b": 2, "c": 3, "d": 4}


def versions(sessions, first: bytes, second: bytes) -> tuple[str, str]:
    with sessions() as session:
        deploy(session, {"v1.bpmn": first}, None, "admin")
        v1 = latest_definition(session, "review").id
        deploy(session, {"v2.bpmn": second}, None, "admin")
        session.commit()
        return v1, latest_definition(session, "review").id


def start_suspended(session, definition_id: str, steps: tuple = ()) -> str:
    row = start_instance(session, ADMIN, definition_id=definition_id)
    session.commit()
    for activity in steps:
        complete(session, row.id, activity)
    suspend_instance(session, row.id, ADMIN)
    session.commit()
    return row.id


# v2 puts a script between review and approve, and renames approve to sign_off.
V2 = review("review", "sign_off", script_task("audit", "audited = True"),
            (("f2", "review", "audit"), ("f2b", "audit", "sign_off")))


def test_migrate_moves_a_suspended_instance_to_the_next_version(sessions):
    v1, v2 = versions(sessions, review("review"), V2)
    with sessions() as session:
        instance_id = start_suspended(session, v1)
        row = migrate_instance(session, instance_id, ADMIN, v2, None, "release 2")
        session.commit()
        assert row.definition_id == v2 and row.state == "suspended" and activities(row) == ["review"]
        [event] = events(session, instance_id, "instance_migrated")
        assert event.data["before"]["definition_id"] == v1 and event.data["after"]["definition_id"] == v2
        assert event.data["reason"] == "release 2"
        from engine.instances.commands import resume_instance
        resume_instance(session, instance_id, ADMIN)
        session.commit()
        row = complete(session, instance_id, "review")
        assert activities(row) == ["sign_off"] and row.variables["audited"] is True  # v2's path


def test_migrate_with_a_mapping_and_refusals_with_reasons(sessions):
    v1, v2 = versions(sessions, review("review"), V2)
    with sessions() as session:
        instance_id = start_suspended(session, v1, steps=("review",))
        failure = unchanged(session, instance_id, lambda: migrate_instance(session, instance_id, ADMIN, v2, None, "r"))
        assert failure.status == 422 and any("approve" in r and "map it" in r for r in failure.extra["reasons"])
        failure = unchanged(session, instance_id, lambda: migrate_instance(
            session, instance_id, ADMIN, v2, {"approve": "audit", "ghost": "review"}, "r"))
        assert len(failure.extra["reasons"]) == 2
        assert any("ghost" in r for r in failure.extra["reasons"])
        assert any("ScriptTask" in r for r in failure.extra["reasons"])
        row = migrate_instance(session, instance_id, ADMIN, v2, {"approve": "sign_off"}, "rename")
        session.commit()
        assert activities(row) == ["sign_off"]
        [task] = open_tasks(session, instance_id)
        assert task.activity_id == "sign_off"
        from engine.instances.commands import resume_instance
        resume_instance(session, instance_id, ADMIN)
        session.commit()
        assert complete(session, instance_id, "sign_off").state == "completed"


def test_migrate_needs_a_suspended_instance(sessions):
    v1, v2 = versions(sessions, review("review"), V2)
    with sessions() as session:
        row = start_instance(session, ADMIN, definition_id=v1)
        session.commit()
        failure = unchanged(session, row.id, lambda: migrate_instance(session, row.id, ADMIN, v2, None, "r"))
        assert failure.status == 409


def test_concurrent_retries_run_the_failed_activity_once(sessions):
    instance_id = started(sessions, DIVIDE, "divide", {"z": 0, "runs": 0})
    with sessions() as session:
        patch_variables(session, instance_id, ADMIN, {"z": 1})
        session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def retry():
        with sessions() as session:
            barrier.wait()
            try:
                retry_instance(session, instance_id, ADMIN, "race")
                session.commit()
                outcomes.append("ok")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]
    with sessions() as session:
        assert len(events(session, instance_id, "instance_retried")) == 1
        assert len([e for e in events(session, instance_id, "activity_completed") if e.activity_id == "divide"]) == 1


def test_a_move_racing_a_task_completion_lets_exactly_one_happen(sessions):
    instance_id = started(sessions, STUCK, "stuck")
    with sessions() as session:
        move(session, instance_id, "charge", "confirm", "charged by hand")
        task_id = open_tasks(session, instance_id)[0].id
    barrier, outcomes = threading.Barrier(2), []

    def attempt(name, command):
        with sessions() as session:
            barrier.wait()
            try:
                command(session)
                session.commit()
                outcomes.append(name)
            except (Conflict, ValidationFailed):
                session.rollback()

    threads = [threading.Thread(target=attempt, args=("completed", lambda s: complete_task(s, task_id, ADMIN, {}))),
               threading.Thread(target=attempt, args=("moved", lambda s: move_token(
                   s, instance_id, ADMIN, "confirm", "charge", "charge again")))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 1
    with sessions() as session:
        row = get_instance(session, instance_id)
        assert row.state == ("completed" if outcomes == ["completed"] else "active")
        assert len(events(session, instance_id, "token_moved")) == (1 if outcomes == ["completed"] else 2)


def test_activities_with_ids_spiffworkflow_uses_itself_can_be_moved_to_and_migrated(sessions):
    """'End' and 'Start' are also names of SpiffWorkflow's own specs (bpmn.reserved_ids): a repair finds
    the modeller's activity, never the library's spec."""
    instance_id = started(sessions, review("review", approve_id="End"), "review")
    with sessions() as session:
        assert activities(move(session, instance_id, "review", "End")) == ["End"]
        assert activities(move(session, instance_id, "End", "review")) == ["review"]
    renamed_v2 = review("review", approve_id="Start")
    with sessions() as session:
        deploy(session, {"v2.bpmn": renamed_v2}, None, "admin")
        session.commit()
        v2 = latest_definition(session, "review").id
        complete(session, instance_id, "review")
        suspend_instance(session, instance_id, ADMIN)
        session.commit()
        row = migrate_instance(session, instance_id, ADMIN, v2, {"End": "Start"}, "rename")
        session.commit()
        assert activities(row) == ["Start"]
        assert [t.activity_id for t in open_tasks(session, instance_id)] == ["Start"]
