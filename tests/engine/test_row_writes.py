"""The rows a command writes most (its instance, user tasks, candidates) go out as prepared Core statements:
new ones inserted parents first, changed ones updated with their changed columns only; the objects then stay in
the session as persistent and unchanged, so later changes are written as usual."""
from __future__ import annotations

from sqlalchemy import inspect

from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import get_instance, open_tasks, start_instance
from engine.store.models import ProcessInstance, TaskCandidate, UserTask
from engine.store.row_writes import write_rows
from engine.tasks.user_tasks import claim_task, complete_task
from helpers import statements_sent, user_task_process

ALICE = Actor("alice", frozenset({"finance"}))
CANDIDATES = 'camunda:candidateGroups="finance, audit" camunda:candidateUsers="bob"'


def test_a_start_inserts_instance_task_and_candidates_and_keeps_them_persistent(sessions):
    with sessions() as session:
        deploy(session, {"c.bpmn": user_task_process("c", CANDIDATES)}, None, "admin")
        session.commit()
    with sessions() as session, statements_sent(session.get_bind()) as sent:
        row = start_instance(session, ALICE, definition_key="c")
        session.commit()
    inserts = [s.split("(")[0].strip() for s in sent if s.startswith("INSERT")]
    assert inserts == ["INSERT INTO process_instances", "INSERT INTO user_tasks", "INSERT INTO task_candidates",
                       "INSERT INTO history_batches"]
    with sessions() as session:
        [task] = open_tasks(session, row.id)
        assert (task.candidate_groups, task.candidate_users) == (["audit", "finance"], ["bob"])
        claimed = claim_task(session, task.id, ALICE)  # a written row changes as any other afterwards
        session.commit()
        assert claimed.assignee == "alice"
    with sessions() as session:
        assert open_tasks(session, row.id)[0].assignee == "alice"


def test_a_changed_row_is_updated_with_its_changed_columns_only(sessions):
    with sessions() as session:
        deploy(session, {"c.bpmn": user_task_process("c", CANDIDATES)}, None, "admin")
        row = start_instance(session, ALICE, definition_key="c")
        [task] = open_tasks(session, row.id)
        session.commit()
    with sessions() as session, statements_sent(session.get_bind()) as sent:
        done = complete_task(session, task.id, ALICE, {"approved": True})
        session.commit()
    [instance_update] = [s for s in sent if s.startswith("UPDATE process_instances SET state")]
    assert "definition_id" not in instance_update and "business_key" not in instance_update
    [task_update] = [s for s in sent if s.startswith("UPDATE user_tasks")]
    assert "activity_id" not in task_update and "completed_by" in task_update
    with sessions() as session:
        assert get_instance(session, done.id).state == "completed"
        assert get_instance(session, done.id).variables["approved"] is True
        assert open_tasks(session, done.id) == []


def test_written_objects_are_clean_and_later_changes_reach_the_database(sessions):
    with sessions() as session:
        deploy(session, {"c.bpmn": user_task_process("c", CANDIDATES)}, None, "admin")
        row = start_instance(session, ALICE, definition_key="c", business_key="first")
        session.commit()
        row.business_key = "second"
        task = session.get(UserTask, open_tasks(session, row.id)[0].id)
        task.candidates.append(TaskCandidate(kind="user", name="carol"))  # to a task already stored
        write_rows(session)
        assert not inspect(row).modified and row not in session.dirty
        session.commit()
        row.business_key = "third"  # after the write, the ORM writes changes as ever
        session.commit()
    with sessions() as session:
        assert session.get(ProcessInstance, row.id).business_key == "third"
        assert open_tasks(session, row.id)[0].candidate_users == ["bob", "carol"]
