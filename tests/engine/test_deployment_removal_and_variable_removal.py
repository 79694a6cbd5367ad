"""Deleting deployments (refused while instances exist, everything gone with cascade) and removing variables,
with a task's local variable of the same name left alone."""
from __future__ import annotations

import pytest
from helpers import bpmn_document, flow, one_script_process, user_task_process
from sqlalchemy import func, select

from engine.deployment.deploy import deploy
from engine.deployment.removal import delete_deployment
from engine.errors import Conflict, NotFound
from engine.identity.users import Actor
from engine.history.reading import instance_history
from engine.instances.commands import patch_variables, start_instance
from engine.runtime.live import open_live_instance
from engine.store.local_variables import local_variables
from engine.store.models import (
    HistoryBatch,
    ProcessDefinition,
    ProcessInstance,
    UserTask,
)

ADMIN = Actor("admin", frozenset({"admin"}))
LOCAL_NOTE = bpmn_document(
    '<bpmn:startEvent id="start"/><bpmn:userTask id="look" name="Look"><bpmn:extensionElements>'
    '<camunda:inputOutput><camunda:inputParameter name="note">local</camunda:inputParameter>'
    '</camunda:inputOutput></bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "look") + flow("f2", "look", "end"), "local")


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_deployment_with_instances_is_kept_unless_cascade(sessions):
    with sessions() as session:
        kept = deploy(session, {"p.bpmn": user_task_process("p")}, None, "admin").deployment
        other = deploy(session, {"s.bpmn": one_script_process("y = 1", "s")}, None, "admin").deployment
        waiting = start_instance(session, ADMIN, definition_key="p").id
        kept_id = kept.id
        start_instance(session, ADMIN, definition_key="s")
        session.commit()
        with pytest.raises(Conflict) as refused:
            delete_deployment(session, kept_id, "admin")
        assert refused.value.extra == {"running": 1, "finished": 0}
        with pytest.raises(Conflict) as finished:
            delete_deployment(session, other.id, "admin")
        assert finished.value.extra == {"running": 0, "finished": 1}
        session.rollback()
        delete_deployment(session, kept_id, "admin", cascade=True)
        session.commit()
        assert session.get(ProcessInstance, waiting) is None
        assert count(session, HistoryBatch, HistoryBatch.instance_id == waiting) == 0
        assert count(session, UserTask, UserTask.instance_id == waiting) == 0
        assert count(session, ProcessDefinition, ProcessDefinition.key == "p") == 0
        assert count(session, ProcessDefinition, ProcessDefinition.key == "s") == 1
        with pytest.raises(NotFound):
            delete_deployment(session, kept_id, "admin")
        # Deploying the same file again makes it anew, version 1.
        again = deploy(session, {"p.bpmn": user_task_process("p")}, None, "admin")
        assert again.created and again.deployment.definitions[0].version == 1


def test_removing_a_variable_leaves_a_local_of_the_same_name(sessions):
    with sessions() as session:
        deploy(session, {"l.bpmn": LOCAL_NOTE}, None, "admin")
        instance = start_instance(session, ADMIN, definition_key="local", variables={"note": "process", "x": 1})
        session.commit()
        assert instance.variables == {"note": "process", "x": 1}
        row = patch_variables(session, instance.id, ADMIN, {"y": 2}, ("note", "x", "never-there"))
        session.commit()
        assert row.variables == {"y": 2}
        live = open_live_instance(session, instance.id, lock=False)
        [task] = [t for t in live.live_tasks() if t.task_spec.bpmn_id == "look"]
        assert local_variables(task.data, task.internal_data) == {"note": "local"}
        [event] = [e for e in instance_history(session, instance.id) if e.type == "variables_changed"]
        assert event.data["removed"] == ["note", "x"]
