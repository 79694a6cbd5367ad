"""Scripts run restricted: every escape attempt fails its instance with a clear error."""
from __future__ import annotations

import time

import pytest

from engine.deployment.deploy import deploy
from engine.identity.users import Actor
from engine.instances.commands import start_instance
from helpers import one_script_process

ADMIN = Actor("tester", frozenset({"admin"}))


@pytest.mark.parametrize("script, says", [
    ("import os", "import"),
    ("__import__('os').system('true')", "__import__"),
    ("x = ().__class__.__base__.__subclasses__()", "starts with \"_\""),
    ("data = open('/etc/passwd').read()", "open"),
    ("while True:\n    pass", "longer than"),
])
def test_escape_attempt_fails_the_instance_and_nothing_else(sessions, script, says):
    with sessions() as session:
        deploy(session, {"p.bpmn": one_script_process(script)}, None, "tester")
        began = time.monotonic()
        instance = start_instance(session, ADMIN, definition_key="p")
        session.commit()
        assert time.monotonic() - began < 10
        assert instance.state == "failed"
        assert says in instance.error["message"]
        assert instance.error["activity_id"] == "work"
        # The engine still runs other instances afterwards.
        deploy(session, {"ok.bpmn": one_script_process("x = 1", "ok")}, None, "tester")
        ok = start_instance(session, ADMIN, definition_key="ok")
        assert ok.state == "completed" and ok.variables["x"] == 1
