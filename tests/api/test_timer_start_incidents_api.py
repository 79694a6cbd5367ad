"""A timer start job that keeps failing follows its start event's retry policy and then ends in an
incident of its definition, which an admin sees in /incidents and retries or resolves - it never
backs off forever."""
from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from api.extensions import db
from engine.store.db import open_database
from engine.store.models import Job, ProcessDefinition, utcnow
from engine.worker.worker import Worker
from helpers import bpmn_document, deploy, flow

TICKER = bpmn_document(
    '<bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R/PT1H</bpmn:timeCycle>'
    '</bpmn:timerEventDefinition></bpmn:startEvent><bpmn:endEvent id="end"/>' + flow("f1", "tick", "end"), "ticker")


def timer_job(app) -> Job | None:
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.kind == "timer-start")).one_or_none()
        db.session.expunge_all()
        return job


def fire_now(app, sessions) -> None:
    with app.app_context():
        db.session.execute(update(Job).where(Job.kind == "timer-start").values(due_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    Worker(sessions).run_once()


def break_definition(app, broken: bool = True) -> str:
    """Make the stored spec unreadable (as a bad upgrade might), or give it back."""
    with app.app_context():
        definition = db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "ticker")).one()
        if broken:
            app.config["saved_spec"] = definition.spec_json
            definition.spec_json = '{"not a spec'
        else:
            definition.spec_json = app.config["saved_spec"]
        db.session.commit()
        return definition.id


def test_a_failing_timer_start_ends_in_an_incident_of_its_definition(app, client, auth, database_url):
    sessions = open_database(database_url)
    try:
        assert deploy(client, auth["demo"], ("t.bpmn", TICKER)).status_code == 201
        definition_id = break_definition(app)
        fire_now(app, sessions)
        first = timer_job(app)
        assert first.attempts == 1 and first.locked_by is None and first.last_error
        # The default policy (the spec cannot be read for the start event's own): 3 tries, 2 s then 4 s apart.
        assert timedelta(seconds=1) < first.due_at - utcnow() <= timedelta(seconds=2)
        assert client.get("/api/v1/incidents", headers=auth["demo"]).json == []
        fire_now(app, sessions)
        assert timer_job(app).attempts == 2 and timer_job(app).locked_by is None
        fire_now(app, sessions)
        parked = timer_job(app)
        assert parked.attempts == 3 and parked.locked_by.startswith("incident:")
        [incident] = client.get("/api/v1/incidents?state=open", headers=auth["demo"]).json
        assert incident["process_instance_id"] is None and incident["process_definition_id"] == definition_id
        assert incident["activity_id"] == "tick" and "failed 3 times" in incident["error"]
        metrics = client.get("/metrics").get_data(as_text=True)
        assert [(s.labels, s.value) for f in text_string_to_metric_families(metrics) for s in f.samples
                if s.name == "fuse_incidents_open"] == [({"definition_key": "ticker"}, 1.0)]
        by_definition = client.get(f"/api/v1/incidents?process_definition_id={definition_id}", headers=auth["demo"])
        assert [i["id"] for i in by_definition.json] == [incident["id"]]
        fire_now(app, sessions)  # parked: the worker leaves it alone
        assert timer_job(app).attempts == 3
        assert client.get("/api/v1/process-instances?definition_key=ticker", headers=auth["demo"]).json["total"] == 0

        # Fixed: retry runs the firing now and the schedule goes on.
        break_definition(app, broken=False)
        assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=auth["alice"]).status_code == 403
        retried = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=auth["demo"])
        assert retried.status_code == 200 and retried.json["state"] == "resolved"
        Worker(sessions).run_once()
        assert client.get("/api/v1/process-instances?definition_key=ticker", headers=auth["demo"]).json["total"] == 1
        job = timer_job(app)
        assert job.attempts == 0 and job.locked_by is None and job.due_at > utcnow() + timedelta(minutes=59)
        again = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=auth["demo"])
        assert again.status_code == 409
        assert client.post(f"/api/v1/incidents/{incident['id']}/resolve", json={},
                           headers=auth["demo"]).status_code == 409
    finally:
        sessions.kw["bind"].dispose()


def test_resolving_a_timer_start_incident_skips_the_failed_firing(app, client, auth, database_url):
    sessions = open_database(database_url)
    try:
        deploy(client, auth["demo"], ("t.bpmn", TICKER))
        break_definition(app)
        for _ in range(3):
            fire_now(app, sessions)
        [incident] = client.get("/api/v1/incidents?state=open", headers=auth["demo"]).json
        resolved = client.post(f"/api/v1/incidents/{incident['id']}/resolve", json={}, headers=auth["demo"])
        assert resolved.status_code == 200 and resolved.json["state"] == "resolved"
        assert resolved.json["resolved_by"] == "demo"
        job = timer_job(app)
        assert job.locked_by is None and job.attempts == 0 and job.due_at > utcnow() + timedelta(minutes=59)
        assert client.get("/api/v1/process-instances?definition_key=ticker", headers=auth["demo"]).json["total"] == 0
    finally:
        sessions.kw["bind"].dispose()
