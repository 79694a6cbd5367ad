"""A user-task completion reads and runs its instance without the lock and writes only if nobody changed the
instance meanwhile (issue 15: the write lock is held for the writing alone). Somebody who did is not overwritten:
the completion is made again on their state, and after OPTIMISTIC_TRIES it locks the instance first."""
from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from engine.deployment.deploy import deploy
from engine.handlers import registry
from engine.identity.users import Actor
from engine.instances.commands import history, open_tasks, start_instance
from engine.store.db import configure_engine, engine_options
from engine.tasks.user_tasks import OPTIMISTIC_TRIES, complete_task
from helpers import bpmn_document, flow
from meddling import Meddler

ALICE = Actor("alice", frozenset({"finance"}))
MEDDLER = registry.register("meddle")(Meddler())


MODEL = bpmn_document(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:userTask id="approve" camunda:candidateGroups="finance"/>'
    '<bpmn:serviceTask id="after" camunda:class="meddle"/>'
    '<bpmn:userTask id="archive" camunda:candidateGroups="finance"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "approve") + flow("f2", "approve", "after") + flow("f3", "after", "archive")
    + flow("f4", "archive", "end"), "meddled")


def _impatient(sessions) -> sessionmaker:
    """Sessions on the same database that wait half a second for SQLite's write lock (not 30 s)."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    options = engine_options(url)
    if "connect_args" in options:
        options["connect_args"] = {**options["connect_args"], "timeout": 0.5}
    return sessionmaker(bind=configure_engine(create_engine(url, **options)), expire_on_commit=False)


def _waiting(sessions, changes: int) -> tuple[str, str]:
    with sessions() as session:
        deploy(session, {"meddled.bpmn": MODEL}, None, "admin")
        row = start_instance(session, ALICE, definition_key="meddled")
        [task] = open_tasks(session, row.id)
        session.commit()
    MEDDLER.arm(_impatient(sessions), row.id, changes)
    return row.id, task.id


def test_a_change_committed_while_a_completion_runs_is_kept_and_the_completion_made_again(sessions):
    instance_id, task_id = _waiting(sessions, changes=1)
    with sessions() as session:
        row = complete_task(session, task_id, ALICE, {"approved": True})
        session.commit()
    assert MEDDLER.calls == 2  # the first run was dropped when the instance turned out changed
    with sessions() as session:
        [next_task] = open_tasks(session, instance_id)
        assert next_task.activity_id == "archive"
        variables = row.variables
        assert variables["approved"] is True and variables["meddled"] == 1 and variables["handled"] == 2
        kinds = [e.type for e in history(session, instance_id)]
        assert kinds.count("task_completed") == 1 and kinds.count("variables_changed") >= 1


def test_a_completion_changed_under_it_every_time_locks_the_instance_and_completes(sessions):
    instance_id, task_id = _waiting(sessions, changes=OPTIMISTIC_TRIES)
    with sessions() as session:
        row = complete_task(session, task_id, ALICE, {"approved": True})
        session.commit()
    if sessions.kw["bind"].dialect.name == "sqlite":
        # SQLite's lost claim (an UPDATE that matched nothing) opened the write transaction all the same: the
        # second try ran under the database's write lock, where nobody could change the instance again.
        assert MEDDLER.calls == 2 and MEDDLER.refused == 1
        assert row.variables["meddled"] == 1 and row.variables["handled"] == 2
    else:
        # Each optimistic try ran the handler and lost; the locked one ran it once more and won.
        assert MEDDLER.calls == OPTIMISTIC_TRIES + 1 and MEDDLER.refused == 0
        assert row.variables["meddled"] == OPTIMISTIC_TRIES and row.variables["handled"] == OPTIMISTIC_TRIES + 1
    with sessions() as session:
        assert [t.activity_id for t in open_tasks(session, instance_id)] == ["archive"]
        assert [e.type for e in history(session, instance_id)].count("task_completed") == 1
