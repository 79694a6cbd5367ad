"""A hostile or endless script fails its own instance; the real server keeps serving."""
from __future__ import annotations

import time

import pytest

from helpers import one_script_process

ESCAPES = [
    ("import_os", "import os\nos.system('touch /tmp/fuse-pwned')"),
    ("dunder", "x = ().__class__.__base__.__subclasses__()"),
    ("open_file", "secret = open('/etc/passwd').read()"),
    ("endless", "while True:\n    pass"),
]


@pytest.mark.parametrize("name, script", ESCAPES, ids=[e[0] for e in ESCAPES])
def test_escaping_script_fails_its_instance_and_the_server_stays_up(server, name, script):
    assert server.deploy((f"{name}.bpmn", one_script_process(script, name))).status_code == 201
    began = time.monotonic()
    failed = server.start_instance(name, {})
    assert failed.status_code == 201, failed.text
    assert failed.json()["state"] == "failed"
    assert failed.json()["error"]["activity_id"] == "work"
    assert time.monotonic() - began < 10
    assert server.get("/healthz", user=None).status_code == 200
    assert server.deploy(("fine.bpmn", one_script_process("y = 2", "fine"))).status_code in (200, 201)
    fine = server.start_instance("fine", {})
    assert fine.json()["state"] == "completed" and fine.json()["variables"] == {"y": 2}
    history = server.history(failed.json()["id"])
    assert history[-1]["type"] == "instance_failed" and history[-1]["data"]["message"]
