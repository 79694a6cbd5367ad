"""GET /metrics: counts read from the database at scrape time, durations and handler errors measured
as the work happens, all parsed back with prometheus-client's own parser."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from api.app import create_app
from api.extensions import db
from engine.handlers.base import BpmnError
from engine.handlers.registry import register
from engine.jobs.queue import acquire_jobs
from engine.store.models import Job, utcnow
from helpers import bpmn_document, deploy, flow, one_script_process, start, user_task_process

PROMETHEUS_TEXT = "text/plain; version=0.0.4"


@register("metrics_ledger")
def ledger(inputs, context):
    return {"booked": True}


@register("metrics_ledger_down")
def ledger_down(inputs, context):
    raise ConnectionError("the ledger did not answer")


@register("metrics_refuse")
def refuse(inputs, context):
    raise BpmnError("REFUSED", "not today")


def service_process(key: str, handler: str, attributes: str = "") -> bytes:
    """start -> service task 'book' calling `handler` -> end."""
    return bpmn_document(
        f'<bpmn:startEvent id="start"/><bpmn:serviceTask id="book" camunda:class="{handler}" {attributes}/>'
        '<bpmn:endEvent id="end"/>' + flow("f1", "start", "book") + flow("f2", "book", "end"), key)


def scrape(client, headers: dict | None = None) -> dict[tuple, float]:
    """Every sample of GET /metrics by (name, sorted labels)."""
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith(PROMETHEUS_TEXT)
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def sample(samples: dict, name: str, **labels) -> float:
    """One sample's value; a missing sample fails the test (it is not taken for 0)."""
    key = (name, tuple(sorted(labels.items())))
    assert key in samples, f"no sample {name}{labels}; have {sorted(k for k in samples if k[0] == name)}"
    return samples[key]


def growth(before: dict, after: dict, name: str, **labels) -> float:
    """How much a process-wide series grew between two scrapes (absent before: from 0)."""
    key = (name, tuple(sorted(labels.items())))
    return sample(after, name, **labels) - before.get(key, 0.0)


def test_instances_tasks_incidents_and_due_jobs_are_counted_from_the_database(app, client, auth):
    demo = auth["demo"]
    response = deploy(client, demo,
                      ("review.bpmn", user_task_process("review", 'camunda:dueDate="${due}"')),
                      ("quick.bpmn", one_script_process("x = 1", "quick")),
                      ("broken.bpmn", one_script_process("x = 1 / 0", "broken")),
                      ("ledger.bpmn", service_process("ledger", "metrics_nowhere")),
                      ("later.bpmn", service_process("later", "metrics_ledger", 'camunda:asyncBefore="true"')))
    assert response.status_code == 201, response.json
    for due in ("2001-01-01T00:00:00Z", "2002-02-02T00:00:00Z", "2999-01-01T00:00:00Z"):
        assert start(client, demo, "review", {"due": due}).json["state"] == "active"
    assert [start(client, demo, "quick").json["state"] for _ in range(2)] == ["completed", "completed"]
    assert start(client, demo, "broken").json["state"] == "failed"
    assert start(client, demo, "ledger").json["state"] == "active"  # waiting at its incident
    first, second = (start(client, demo, "later").json for _ in range(2))
    with app.app_context():
        # A worker holds the first job; the second fell due two minutes ago and nobody took it.
        assert len(acquire_jobs(db.session, "elsewhere", limit=1)) == 1
        db.session.execute(update(Job).where(Job.instance_id == second["id"])
                           .values(due_at=utcnow() - timedelta(seconds=120)))
        db.session.commit()
        assert db.session.scalar(select(Job.locked_by).where(Job.instance_id == first["id"])).startswith("elsewhere")

    samples = scrape(client)

    started = {"review": 3, "quick": 2, "broken": 1, "ledger": 1, "later": 2}
    for key, count in started.items():
        assert sample(samples, "fuse_instances_started_total", definition_key=key) == count
        assert sample(samples, "fuse_instances_completed_total", definition_key=key) == (2 if key == "quick" else 0)
    assert sample(samples, "fuse_instances", definition_key="review", state="active") == 3
    assert sample(samples, "fuse_instances", definition_key="quick", state="completed") == 2
    assert sample(samples, "fuse_instances", definition_key="quick", state="active") == 0
    assert sample(samples, "fuse_instances", definition_key="broken", state="failed") == 1
    assert sample(samples, "fuse_instances", definition_key="ledger", state="active") == 1
    assert sample(samples, "fuse_user_tasks_open", definition_key="review") == 3
    assert sample(samples, "fuse_user_tasks_overdue", definition_key="review") == 2
    assert sample(samples, "fuse_incidents_open", definition_key="ledger") == 1
    assert not [k for k in samples if k[0] == "fuse_incidents_open" and k[1] != (("definition_key", "ledger"),)]
    assert sample(samples, "fuse_jobs_due") == 1
    assert 120 <= sample(samples, "fuse_job_lag_seconds") < 180


def test_an_empty_database_reports_no_due_job_and_no_lag(client):
    samples = scrape(client)
    assert sample(samples, "fuse_jobs_due") == 0
    assert sample(samples, "fuse_job_lag_seconds") == 0
    assert not [k for k in samples if k[0].startswith("fuse_instances")]


def test_a_completed_user_task_is_observed_with_the_time_it_waited(client, auth):
    demo = auth["demo"]
    deploy(client, demo, ("wait.bpmn", user_task_process("wait_for_me", attributes="")))
    before = scrape(client)
    instance = start(client, demo, "wait_for_me").json
    time.sleep(0.2)
    task_id = instance["open_tasks"][0]["id"]
    done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"variables": {}}, headers=demo)
    assert done.status_code == 200 and done.json["state"] == "completed", done.json
    after = scrape(client)

    series = {"definition_key": "wait_for_me", "activity_id": "approve"}
    assert growth(before, after, "fuse_activity_duration_seconds_count", **series) == 1
    assert growth(before, after, "fuse_activity_duration_seconds_sum", **series) >= 0.2
    # Entered in one request and completed in the next: the wait is in the longer buckets only.
    assert growth(before, after, "fuse_activity_duration_seconds_bucket", le="0.1", **series) == 0
    assert growth(before, after, "fuse_activity_duration_seconds_bucket", le="+Inf", **series) == 1
    # The start and end events were observed too (instantaneous: the first bucket).
    assert growth(before, after, "fuse_activity_duration_seconds_bucket", le="0.005",
                  definition_key="wait_for_me", activity_id="end") == 1


def test_handler_calls_are_timed_and_their_errors_counted_by_kind(client, auth):
    demo = auth["demo"]
    deploy(client, demo, ("ok.bpmn", service_process("books", "metrics_ledger")),
           ("down.bpmn", service_process("books_down", "metrics_ledger_down")),
           ("refused.bpmn", service_process("books_refused", "metrics_refuse")),
           ("missing.bpmn", service_process("books_missing", "metrics_nowhere")))
    before = scrape(client)
    assert start(client, demo, "books").json["state"] == "completed"
    assert start(client, demo, "books_down").json["state"] == "active"  # retried later, then an incident
    assert start(client, demo, "books_refused").json["state"] == "failed"  # nothing catches REFUSED
    assert start(client, demo, "books_missing").json["state"] == "active"  # an incident at once
    after = scrape(client)

    for handler in ("metrics_ledger", "metrics_ledger_down", "metrics_refuse"):
        assert growth(before, after, "fuse_handler_duration_seconds_count", handler=handler) == 1
    assert growth(before, after, "fuse_handler_duration_seconds_sum", handler="metrics_ledger") >= 0
    errors = "fuse_handler_errors_total"
    assert growth(before, after, errors, handler="metrics_ledger_down", kind="ConnectionError") == 1
    assert growth(before, after, errors, handler="metrics_refuse", kind="bpmn_error") == 1
    assert growth(before, after, errors, handler="metrics_nowhere", kind="unregistered") == 1
    assert not [k for k in after if k[0] == errors and ("handler", "metrics_ledger") in k[1]]
    assert sample(after, "fuse_incidents_open", definition_key="books_missing") == 1


@pytest.fixture
def guarded_client(database_url):
    """A client of an app whose metrics need the token `scrape-me`."""
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "METRICS_TOKEN": "scrape-me"})
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_metrics_are_open_unless_a_metrics_token_is_set(client, guarded_client, auth):
    assert client.get("/metrics").status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, auth["demo"]):
        refused = guarded_client.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.content_type == "application/problem+json"
        assert refused.json["type"] == "urn:fuse:problem:unauthorized"
    assert "fuse_jobs_due" in {name for name, _ in scrape(guarded_client, {"Authorization": "Bearer scrape-me"})}


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200
    assert response.content_type.startswith("application/openmetrics-text")
    assert response.get_data(as_text=True).endswith("# EOF\n")


def test_the_openapi_document_describes_the_metrics_endpoint(client):
    spec = client.get("/api/v1/openapi.json").json
    get = spec["paths"]["/metrics"]["get"]
    assert list(get["responses"]["200"]["content"]) == ["text/plain; version=0.0.4; charset=utf-8"]
    assert "401" in get["responses"] and "security" not in get
