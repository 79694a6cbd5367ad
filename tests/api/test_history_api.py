"""History over HTTP: verifying an instance's chain, and exporting events by time range (admins)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from api.extensions import db
from engine.history import reading as history_reading
from helpers import deploy, one_script_process, start
from history_tamper import change_event, delete_event

PROBLEM = "application/problem+json"


def started(client, auth, key: str = "p", variables: dict | None = None) -> str:
    assert deploy(client, auth["demo"], (f"{key}.bpmn", one_script_process("x = 1", key))).status_code == 201
    response = start(client, auth["demo"], key, variables)
    assert response.status_code == 201, response.json
    return response.json["id"]


def tamper(app, change, *args, **fields) -> None:
    with app.app_context():
        change(db.session, *args, **fields)
        db.session.commit()


def iso(moment: datetime) -> str:
    return moment.isoformat()


def export(client, headers, **params):
    return client.get("/api/v1/history", query_string=params, headers=headers)


def lines(response) -> list[dict]:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def around_now() -> dict:
    now = datetime.now(timezone.utc)
    return {"from": iso(now - timedelta(hours=1)), "to": iso(now + timedelta(hours=1))}


def test_an_untouched_history_verifies(client, auth):
    instance_id = started(client, auth)
    history = client.get(f"/api/v1/process-instances/{instance_id}/history", headers=auth["demo"]).json
    assert history[0]["prev_hash"] is None and history[1]["prev_hash"] == history[0]["hash"]
    response = client.get(f"/api/v1/process-instances/{instance_id}/history/verify", headers=auth["demo"])
    assert response.status_code == 200
    assert response.json == {"valid": True, "events": len(history), "first_broken": None}


def test_a_deleted_event_makes_the_chain_invalid_from_its_seq(app, client, auth):
    instance_id = started(client, auth)
    tamper(app, delete_event, instance_id, 4)
    response = client.get(f"/api/v1/process-instances/{instance_id}/history/verify", headers=auth["demo"])
    assert response.status_code == 200
    assert response.json["valid"] is False
    assert response.json["first_broken"] == {"seq": 4, "reason": "event 4 is missing (the next event is 5)"}


def test_changed_data_is_reported_at_the_changed_event(app, client, auth):
    instance_id = started(client, auth)
    tamper(app, change_event, instance_id, 1, data={"variables": {"amount": 1}})
    report = client.get(f"/api/v1/process-instances/{instance_id}/history/verify", headers=auth["demo"]).json
    assert report["first_broken"]["seq"] == 1 and "changed" in report["first_broken"]["reason"]


def test_verifying_an_unknown_instance_is_not_found(client, auth):
    response = client.get("/api/v1/process-instances/nope/history/verify", headers=auth["bob"])
    assert response.status_code == 404 and response.content_type == PROBLEM


def test_an_admin_exports_events_as_json_lines_that_chain(client, auth):
    first, second = started(client, auth, "p"), started(client, auth, "q")
    response = export(client, auth["demo"], **around_now())
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson" and response.is_streamed
    exported = lines(response)
    assert {line["instance_id"] for line in exported} == {first, second}
    assert set(exported[0]) == {"instance_id", "seq", "at", "type", "activity_id", "activity_name", "actor", "data",
                                "prev_hash", "hash"}
    mine = [line for line in exported if line["instance_id"] == first]
    assert [line["seq"] for line in mine] == list(range(1, len(mine) + 1))
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(mine, mine[1:]))
    assert mine[0]["type"] == "instance_started" and mine[0]["at"].endswith("Z")


def test_an_export_reads_in_batches_and_keeps_the_order(client, auth, monkeypatch):
    monkeypatch.setattr(history_reading, "ROWS_PER_FETCH", 1)
    instance_id = started(client, auth)
    history = client.get(f"/api/v1/process-instances/{instance_id}/history", headers=auth["demo"]).json
    exported = lines(export(client, auth["demo"], instance_id=instance_id, **around_now()))
    assert [line["hash"] for line in exported] == [event["hash"] for event in history]


def test_an_export_holds_only_the_range_and_the_instance_asked_for(client, auth):
    first, second = started(client, auth, "p"), started(client, auth, "q")
    only_second = lines(export(client, auth["demo"], instance_id=second, **around_now()))
    assert only_second and {line["instance_id"] for line in only_second} == {second}
    later = datetime.now(timezone.utc) + timedelta(days=1)
    empty = export(client, auth["demo"], **{"from": iso(later), "to": iso(later + timedelta(days=1))})
    assert empty.status_code == 200 and empty.get_data() == b""
    naive_range = {"from": "2000-01-01", "to": "2999-01-01T00:00:00"}
    assert {line["instance_id"] for line in lines(export(client, auth["demo"], **naive_range))} == {first, second}


def test_only_admins_may_export(client, auth):
    started(client, auth)
    response = export(client, auth["alice"], **around_now())
    assert response.status_code == 403 and response.content_type == PROBLEM
    assert response.json["type"] == "urn:fuse:problem:forbidden"


def test_bad_or_missing_dates_or_a_range_backwards_are_a_400_naming_the_parameter(client, auth):
    for params, field in (({"from": "yesterday", "to": "2030-01-01"}, "from"), ({"from": "2030-01-01"}, "to"),
                          ({"from": "2030-01-02", "to": "2030-01-01"}, "to"),
                          ({"from": "2030-02-31", "to": "2030-03-01"}, "from"),
                          ({"from": "2030-W01", "to": "2030-03-01"}, "from"),
                          ({"from": "0001-01-01T00:00+01:00", "to": "2030-03-01"}, "from")):
        response = export(client, auth["demo"], **params)
        assert response.status_code == 400 and response.content_type == PROBLEM, params
        assert response.json["type"] == "urn:fuse:problem:bad-request"
        assert list(response.json["errors"]) == [field] and field in response.json["detail"], response.json
    same_instant = export(client, auth["demo"], **{"from": "2030-01-01T00:00Z", "to": "2030-01-01T01:00+01:00"})
    assert same_instant.status_code == 200 and same_instant.get_data() == b""


def test_both_endpoints_are_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    paths = document["paths"]
    verify = paths["/api/v1/process-instances/{instance_id}/history/verify"]["get"]
    assert verify["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ChainReport")
    assert {"valid", "events", "first_broken"} <= set(document["components"]["schemas"]["ChainReport"]["properties"])
    exported = paths["/api/v1/history"]["get"]
    assert "application/x-ndjson" in exported["responses"]["200"]["content"]
    assert {"400", "403"} <= set(exported["responses"]) and "422" not in exported["responses"]
    assert {p["name"] for p in exported["parameters"] if p["in"] == "query"} >= {"from", "to", "instance_id"}
