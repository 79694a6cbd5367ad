"""The trip-saga sample through the real server: a trip that books, and one whose completed steps are
undone in reverse order when the flight cannot be booked (waiting for finance across a restart)."""
from __future__ import annotations

from helpers import SAMPLES

KEY = "trip_saga"
SAGA = SAMPLES / "trip-saga" / "trip-saga.bpmn"
TASKS = "/api/v1/tasks"
# What `make run` deploys: every sample, in one deployment.
MAKE_RUN_FILES = sorted(str(path) for pattern in ("*/*.bpmn", "*/*.form", "*/*.policy.json", "*/*.onnx")
                        for path in SAMPLES.glob(pattern))
TRIP = {"trip_id": "T-7", "traveller": "Ann", "amount": 480, "seats_wanted": 2}


def compensation_steps(history: list[dict]) -> list[tuple[str, str]]:
    kinds = {"compensation_started", "activity_compensated", "activity_completed"}
    return [(e["type"], e["activity_id"]) for e in history if e["type"] in kinds]


def test_a_trip_with_seats_is_booked_and_nothing_is_undone(server):
    out = server.cli("deploy", "--name", "samples", *MAKE_RUN_FILES)
    assert out.startswith("deployed ") and f"{KEY} version 1" in out, out

    response = server.start_instance(KEY, {**TRIP, "seats_left": 9})
    assert response.status_code == 201, response.text
    trip = response.json()
    assert trip["state"] == "completed", trip
    assert trip["variables"]["notified"] == "itinerary sent to Ann"
    assert trip["variables"]["flight"] == "F-T-7" and "cancelled_reservation" not in trip["variables"]
    types = {e["type"] for e in server.history(trip["id"])}
    assert not types & {"compensation_started", "activity_compensated"}


def test_a_trip_without_seats_is_undone_in_reverse_order(server):
    assert server.deploy((SAGA.name, SAGA.read_bytes())).status_code == 201

    response = server.start_instance(KEY, {**TRIP, "seats_left": 1})
    assert response.status_code == 201, response.text
    trip = response.json()
    # The newest completed step first: the charge, whose refund waits for finance.
    assert trip["state"] == "active", trip
    assert [a["activity_id"] for a in trip["active_activities"]] == ["undo_bookings", "refund_card"]
    [task] = trip["open_tasks"]
    assert task["activity_id"] == "refund_card" and task["candidate_groups"] == ["finance"]
    started = next(e for e in server.history(trip["id"]) if e["type"] == "compensation_started")
    assert started["activity_id"] == "undo_bookings"
    assert started["data"]["activities"] == ["charge_card", "reserve_hotel"]

    server.stop(kill=True)  # a crash mid-compensation loses nothing
    server.start()
    assert [t["id"] for t in server.get(TASKS, "alice").json()["items"]] == [task["id"]]
    done = server.post(f"{TASKS}/{task['id']}/complete", "alice", json={"variables": {"refund_reference": "RF-7"}})
    assert done.status_code == 200, done.text
    trip = done.json()
    assert trip["state"] == "completed", trip
    variables = trip["variables"]
    assert variables["refund_reference"] == "RF-7" and variables["cancelled_reservation"] == "H-T-7"
    assert variables["notified"] == "no flight: trip cancelled for Ann"

    history = server.history(trip["id"])
    steps = compensation_steps(history)
    assert steps[steps.index(("compensation_started", "undo_bookings")):] == [
        ("compensation_started", "undo_bookings"),
        ("activity_completed", "refund_card"), ("activity_compensated", "charge_card"),
        ("activity_completed", "cancel_hotel"), ("activity_compensated", "reserve_hotel"),
        ("activity_completed", "undo_bookings"), ("activity_completed", "tell_traveller"),
        ("activity_completed", "end_cancelled")]
    compensated = [e for e in history if e["type"] == "activity_compensated"]
    assert [(e["activity_id"], e["data"]["handler"]) for e in compensated] == [
        ("charge_card", "refund_card"), ("reserve_hotel", "cancel_hotel")]
    refund = next(e for e in history if e["type"] == "task_completed")
    assert refund["actor"] == "alice" and refund["activity_id"] == "refund_card"
