"""Binding service tasks to handlers: by setting, by Camunda 8 job type, into a result variable,
and off the request with asyncBefore."""
from __future__ import annotations

import sys
import textwrap

from engine.deployment.deploy import deploy
from engine.handlers import registry
from engine.identity.users import Actor
from engine.instances.commands import get_instance, start_instance
from engine.worker.worker import Worker
from helpers import bpmn_document, flow

ADMIN = Actor("admin", frozenset({"admin"}))


def one_service(key: str, attributes: str, extension: str = "") -> bytes:
    return bpmn_document(f'<bpmn:startEvent id="start"/><bpmn:serviceTask id="call" {attributes}>{extension}'
                         '</bpmn:serviceTask><bpmn:endEvent id="end"/>'
                         + flow("f1", "start", "call") + flow("f2", "call", "end"), key)


def test_handlers_setting_names_modules_of_the_users_own(sessions, tmp_path, monkeypatch):
    (tmp_path / "acme_handlers.py").write_text(textwrap.dedent('''
        def greet(inputs, context):
            return {"greeting": f"hello {inputs['name']} from {context.activity_id}, try {context.attempt}"}
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FUSE_HANDLERS", "greet=acme_handlers:greet")
    registry._discovered.cache_clear()
    try:
        with sessions() as session:
            deploy(session, {"g.bpmn": one_service("g", 'camunda:class="greet"')}, None, "admin")
            done = start_instance(session, ADMIN, definition_key="g", variables={"name": "Ann"})
            assert done.variables["greeting"] == "hello Ann from call, try 1"
    finally:
        registry._discovered.cache_clear()
        sys.modules.pop("acme_handlers", None)


@registry.register("quote")
def quote(inputs, context):
    return {"price": 10 * inputs.get("qty", 1), "currency": "EUR"}


def test_result_variable_and_camunda_8_job_type(sessions):
    with sessions() as session:
        deploy(session, {"q.bpmn": one_service("q", 'camunda:class="quote" camunda:resultVariable="offer"'),
                         "z.bpmn": one_service("z", "", '<bpmn:extensionElements><zeebe:taskDefinition type="quote"/>'
                                                        '</bpmn:extensionElements>')}, None, "admin")
        offer = start_instance(session, ADMIN, definition_key="q", variables={"qty": 3})
        assert offer.variables["offer"] == {"price": 30, "currency": "EUR"} and "price" not in offer.variables
        zeebe = start_instance(session, ADMIN, definition_key="z", variables={"qty": 2})
        assert zeebe.state == "completed" and zeebe.variables["price"] == 20


def test_async_before_runs_the_handler_off_the_request(sessions):
    with sessions() as session:
        deploy(session, {"a.bpmn": one_service("a", 'camunda:class="quote" camunda:asyncBefore="true"')}, None, "admin")
        waiting = start_instance(session, ADMIN, definition_key="a", variables={"qty": 1})
        session.commit()
        assert waiting.state == "active" and "price" not in waiting.variables
        instance_id = waiting.id
    Worker(sessions).run_once()
    with sessions() as session:
        assert get_instance(session, instance_id).variables["price"] == 10


@registry.register("echo_model")
def echo_model(inputs, context):
    return {"model": f"{inputs['model']}@v2", "used": True}


def test_a_handler_output_named_like_an_input_parameter_is_kept(sessions):
    io = ('<bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="model">clf</camunda:inputParameter>'
          '</camunda:inputOutput></bpmn:extensionElements>')
    with sessions() as session:
        deploy(session, {"e.bpmn": one_service("e", 'camunda:class="echo_model"', io)}, None, "admin")
        done = start_instance(session, ADMIN, definition_key="e", variables={"model": "before"})
        assert done.variables["model"] == "clf@v2" and done.variables["used"] is True


@registry.register("slow_quote")
def slow_quote(inputs, context):
    import time as _time

    _time.sleep(1.5)
    return {"price": 99}


def test_a_slow_handler_run_by_the_worker_does_not_block_other_writes(sessions):
    import threading
    import time

    with sessions() as session:
        deploy(session, {"s.bpmn": one_service("s", 'camunda:class="slow_quote" camunda:asyncBefore="true"'),
                         "q.bpmn": one_service("q", 'camunda:class="quote"')}, None, "admin")
        slow_id = start_instance(session, ADMIN, definition_key="s").id
        session.commit()
    worker = threading.Thread(target=Worker(sessions).run_once)
    worker.start()
    time.sleep(0.3)  # the handler is sleeping now
    began = time.monotonic()
    with sessions() as session:
        quick = start_instance(session, ADMIN, definition_key="q", variables={"qty": 1})
        session.commit()
        assert quick.state == "completed"
    assert time.monotonic() - began < 1.0
    worker.join(10)
    with sessions() as session:
        assert get_instance(session, slow_id).variables["price"] == 99
