"""GET /process-instances/{id}/diagram: the instance's BPMN and where each activity stands."""
from __future__ import annotations

import json
import re

from api.extensions import db
from engine.reports.diagram import instance_diagram
from engine.history.recorder import HistoryRecorder
from engine.instances.commands import get_instance
from helpers import (ROOT, bpmn_document, deploy, flow, loop_process, one_script_process, sign_in_to_pages, start,
                     user_task_process)

NOT_REACHED = {"state": "not_reached", "entered": 0, "completed": 0, "active": 0, "cancelled": 0, "failed": 0,
               "compensated": 0}


def marks(state: str, **counts: int) -> dict:
    return {**NOT_REACHED, "state": state, **counts}


def diagram(client, headers, instance_id: str) -> dict:
    response = client.get(f"/api/v1/process-instances/{instance_id}/diagram", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_finished_path_is_completed_once_each(client, auth):
    model = one_script_process("y = 2", "done")
    deploy(client, auth["demo"], ("done.bpmn", model))
    instance = start(client, auth["bob"], "done").json
    body = diagram(client, auth["demo"], instance["id"])  # an admin reads every instance
    assert body["definition_id"] == instance["definition_id"]
    assert body["bpmn"] == model.decode()
    done = marks("completed", entered=1, completed=1)
    assert body["activities"] == {"start": done, "work": done, "end": done}


def test_a_waiting_user_task_is_active_and_what_follows_is_not_reached(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", user_task_process("p")))
    instance = start(client, auth["bob"], "p").json
    activities = diagram(client, auth["bob"], instance["id"])["activities"]
    assert activities["start"] == marks("completed", entered=1, completed=1)
    assert activities["approve"] == marks("active", entered=1, active=1)
    assert activities["end"] == NOT_REACHED


def test_a_failed_script_task_is_failed_not_active(client, auth):
    deploy(client, auth["demo"], ("boom.bpmn", one_script_process("y = 1 / 0", "boom")))
    instance = start(client, auth["bob"], "boom").json
    assert instance["state"] == "failed"
    activities = diagram(client, auth["bob"], instance["id"])["activities"]
    assert activities["start"]["state"] == "completed"
    assert activities["work"] == marks("failed", entered=1, failed=1)
    assert activities["end"] == NOT_REACHED


def test_a_loop_counts_every_pass(client, auth):
    deploy(client, auth["demo"], ("loop.bpmn", loop_process(3)))
    instance = start(client, auth["bob"], "loop", {"i": 0}).json
    assert instance["state"] == "completed" and instance["variables"]["i"] == 3
    activities = diagram(client, auth["bob"], instance["id"])["activities"]
    assert activities["count"] == marks("completed", entered=3, completed=3)
    assert activities["again"] == marks("completed", entered=3, completed=3)
    assert activities["start"] == activities["end"] == marks("completed", entered=1, completed=1)


def test_a_terminated_instance_shows_its_waiting_task_cancelled(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", user_task_process("p")))
    instance = start(client, auth["bob"], "p").json
    assert client.delete(f"/api/v1/process-instances/{instance['id']}", headers=auth["bob"]).status_code == 200
    activities = diagram(client, auth["bob"], instance["id"])["activities"]
    assert activities["approve"] == marks("cancelled", entered=1, cancelled=1)
    assert activities["end"] == NOT_REACHED


def test_an_open_incident_is_failed_until_resolved_and_its_count_stays(client, auth):
    body = ('<bpmn:startEvent id="start"/><bpmn:serviceTask id="call" camunda:class="nobody_registered_this"/>'
            '<bpmn:endEvent id="end"/>' + flow("f1", "start", "call") + flow("f2", "call", "end"))
    deploy(client, auth["demo"], ("m.bpmn", bpmn_document(body, "m")))
    instance = start(client, auth["demo"], "m").json
    assert diagram(client, auth["demo"], instance["id"])["activities"]["call"] == marks(
        "failed", entered=1, failed=1)
    [incident] = client.get(f"/api/v1/incidents?process_instance_id={instance['id']}", headers=auth["demo"]).json
    resolved = client.post(f"/api/v1/incidents/{incident['id']}/resolve", json={"variables": {}},
                           headers=auth["demo"])
    assert resolved.status_code == 200
    activities = diagram(client, auth["demo"], instance["id"])["activities"]
    assert activities["call"] == marks("completed", entered=1, completed=1, failed=1)
    assert activities["end"]["state"] == "completed"


def test_compensation_events_are_counted_and_the_newest_outcome_wins(app, client, auth):
    deploy(client, auth["demo"], ("done.bpmn", one_script_process("y = 2", "done")))
    instance_id = start(client, auth["bob"], "done").json["id"]
    with app.app_context():
        row = get_instance(db.session, instance_id)
        recorder = HistoryRecorder()
        recorder.record("activity_compensated", activity_id="work")
        recorder.flush(db.session, row)
        db.session.commit()
        work = instance_diagram(db.session, instance_id).activities["work"]
    assert work == marks("compensated", entered=1, completed=1, compensated=1)


def test_xml_on_request_and_unknown_instances_are_404_problems(client, auth):
    model = user_task_process("p")
    deploy(client, auth["demo"], ("p.bpmn", model))
    instance = start(client, auth["bob"], "p").json
    url = f"/api/v1/process-instances/{instance['id']}/diagram"
    xml = client.get(url, headers={**auth["bob"], "Accept": "application/xml"})
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and xml.data == model
    assert client.get(url, headers={**auth["bob"], "Accept": "*/*"}).mimetype == "application/json"
    assert client.get(url).status_code == 401
    for accept in ("application/json", "application/xml"):
        missing = client.get("/api/v1/process-instances/nope/diagram", headers={**auth["bob"], "Accept": accept})
        assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
        assert missing.json["type"] == "urn:fuse:problem:not-found"


def test_the_diagram_is_in_the_openapi_document(client):
    path = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/process-instances/{instance_id}/diagram"]
    content = path["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "application/xml"}
    assert "404" in path["get"]["responses"]


def test_the_instance_page_ships_the_pinned_bpmn_js_itself(client, auth):
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/bpmn-js"]["version"]
    viewer = client.get("/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert viewer.status_code == 200 and f"bpmn-navigated-viewer v{pinned} " in viewer.text[:200]
    for stylesheet in ("diagram-js.css", "bpmn-js.css"):
        assert client.get(f"/static/vendor/bpmn-js/{stylesheet}").status_code == 200
    sign_in_to_pages(client, "demo", auth["demo"]["Authorization"].split()[1], field="token")
    page = client.get("/instances/some-id")
    assert page.status_code == 200
    assert "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text)  # nothing from another host


def test_a_file_in_another_encoding_comes_back_as_the_same_text(client, auth):
    text = user_task_process("latin").decode().replace('name="Approve"', 'name="Prüfen"')
    latin = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    assert deploy(client, auth["demo"], ("latin.bpmn", latin)).status_code == 201
    instance = start(client, auth["bob"], "latin").json
    body = diagram(client, auth["bob"], instance["id"])
    assert body["bpmn"] == latin.decode("latin-1") and 'name="Prüfen"' in body["bpmn"]
    assert body["activities"]["approve"]["state"] == "active"
