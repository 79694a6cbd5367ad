"""Instances of a definition share its specs read-only, unless a spec rewrites itself while running (Camunda 7
multi-instance); either way each instance runs as if it had its own, and mappings are connected once."""
from __future__ import annotations

from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import open_tasks, start_instance
from engine.runtime.live import open_live_instance
from engine.tasks.user_tasks import complete_task
from helpers import bpmn_document, flow

ADMIN = Actor("admin", frozenset({"admin"}))

MAPPED = ('<bpmn:startEvent id="start"/><bpmn:userTask id="wait"/>'
          '<bpmn:scriptTask id="work" scriptFormat="python"><bpmn:extensionElements><camunda:inputOutput>'
          '<camunda:inputParameter name="n">${count + 1}</camunda:inputParameter>'
          '<camunda:outputParameter name="count">${n}</camunda:outputParameter>'
          '</camunda:inputOutput></bpmn:extensionElements><bpmn:script>n = n * 10</bpmn:script></bpmn:scriptTask>'
          '<bpmn:endEvent id="end"/>' + flow("f1", "start", "wait") + flow("f2", "wait", "work")
          + flow("f3", "work", "end"))


def camunda_multi_instance(key: str) -> bytes:
    return bpmn_document(
        '<bpmn:startEvent id="start"/><bpmn:userTask id="review" camunda:assignee="${reviewer}">'
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${reviewers}" camunda:elementVariable="reviewer"/>'
        '</bpmn:userTask><bpmn:endEvent id="end"/>' + flow("f1", "start", "review") + flow("f2", "review", "end"),
        key)


def test_instances_share_specs_but_not_the_dict_of_sub_process_specs(sessions):
    with sessions() as session:
        deploy(session, {"m.bpmn": bpmn_document(MAPPED, "m")}, None, "admin")
        ids = [start_instance(session, ADMIN, definition_key="m", variables={"count": c}).id for c in (1, 2)]
        session.commit()
        first, second = (open_live_instance(session, i, lock=False).workflow for i in ids)
        assert first.spec is second.spec
        assert first.subprocess_specs is not second.subprocess_specs
        work = first.spec.task_specs["work"]
        # However many instances ran, each mapping is connected once: outputs are applied once per run.
        assert work.completed_event.n_subscribers() == 1 and work.ready_event.n_subscribers() == 1
        for instance_id in ids:
            [task] = open_tasks(session, instance_id)
            row = complete_task(session, task.id, ADMIN, {})
            session.commit()
            assert row.state == "completed", row.error
        assert [open_live_instance(session, i, lock=False).row.variables["count"] for i in ids] == [20, 30]


def test_a_camunda_multi_instance_definition_gives_each_instance_its_own_specs(sessions):
    with sessions() as session:
        deploy(session, {"mi.bpmn": camunda_multi_instance("mi")}, None, "admin")
        crews = (["ann", "bob"], ["cy", "dee", "eve"])
        ids = [start_instance(session, ADMIN, definition_key="mi", variables={"reviewers": crew}).id
               for crew in crews]
        session.commit()
        first, second = (open_live_instance(session, i, lock=False).workflow for i in ids)
        assert first.spec is not second.spec
        for instance_id, crew in zip(ids, crews):
            tasks = open_tasks(session, instance_id)
            assert sorted(t.assignee for t in tasks) == crew
            for task in tasks:
                last = complete_task(session, task.id, Actor(task.assignee, frozenset()), {"ok": True})
                session.commit()
            assert last.state == "completed", last.error
