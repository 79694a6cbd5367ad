"""The telemetry sample through the real server, in real time: devices register and send readings as
messages correlated by device id (business key); a reading above the threshold opens an alert that the
on-call group must acknowledge before a timer fires, else it goes to the on-call lead; the signal
`maintenance-started` closes every open alert. Timers are short (PT1S, PT2S) and fired by the worker
embedded in `fuse serve`; one test SIGKILLs the server while the timer waits and restarts it."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine.store.db import open_database
from engine.store.models import ProcessInstance
from helpers import SAMPLES

SAMPLE = SAMPLES / "telemetry" / "telemetry.bpmn"
KEY = "device_monitoring"
INSTANCES = "/api/v1/process-instances"
TASKS = "/api/v1/tasks"
ON_CALL = {"olga": ["oncall"], "lee": ["oncall-lead"]}
THRESHOLD = 75
WAIT_S = 20      # the longest any poll waits (a loaded machine; the timers themselves are 1-2 s)
POLL_S = 0.1
QUIET_S = 1.5    # three polls of the embedded worker (0.5 s): long enough for a duplicate to show


@pytest.fixture
def monitoring(server):
    """The server with the on-call users and the sample deployed (without warnings)."""
    server.add_users(ON_CALL)
    response = server.deploy((SAMPLE.name, SAMPLE.read_bytes()))
    assert response.status_code == 201, response.text
    assert response.json()["warnings"] == [], response.json()["warnings"]
    return server


# --- helpers --------------------------------------------------------------------------------------


def register(server, device: str, ack_timeout: str = "PT30S") -> str:
    """POST the device-registered message: starts the device's monitoring instance."""
    response = server.post("/api/v1/messages", json={
        "name": "device-registered", "business_key": device,
        "variables": {"threshold": THRESHOLD, "ack_timeout": ack_timeout}})
    assert response.status_code == 200, response.text
    [instance_id] = response.json()["started"]
    assert response.json()["delivered"] == []
    return instance_id


def telemetry(server, device: str, temperature: float):
    return server.post("/api/v1/messages", json={"name": "telemetry", "business_key": device,
                                                 "variables": {"temperature": temperature}})


def send_reading(server, device: str, temperature: float, instance_id: str) -> None:
    response = telemetry(server, device, temperature)
    assert response.status_code == 200, response.text
    assert response.json()["delivered"] == [instance_id] and response.json()["started"] == []


def instance(server, instance_id: str) -> dict:
    response = server.get(f"{INSTANCES}/{instance_id}")
    assert response.status_code == 200, response.text
    return response.json()


def activities(server, instance_id: str) -> list[str]:
    return sorted(a["activity_id"] for a in instance(server, instance_id)["active_activities"])


def open_tasks(server, instance_id: str, user: str = "demo") -> list[dict]:
    response = server.get(TASKS, user, params={"process_instance_id": instance_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def wait_until(what: str, probe, server, instance_id: str):
    """Poll `probe()` until it returns something truthy; fail with the instance's state otherwise."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(POLL_S)
    pytest.fail(f"{what} did not happen within {WAIT_S} s: {instance(server, instance_id)}\n"
                f"server stderr:\n{server.stderr()[-3000:]}", pytrace=False)


def escalated_task(server, instance_id: str):
    tasks = open_tasks(server, instance_id)
    return tasks[0] if [t["activity_id"] for t in tasks] == ["handle_escalated_alert"] else None


def events(history: list[dict], type_: str, activity_id: str | None = None) -> list[dict]:
    return [e for e in history if e["type"] == type_ and (activity_id is None or e["activity_id"] == activity_id)]


def entered(history: list[dict], activity_id: str) -> int:
    return len(events(history, "activity_entered", activity_id))


def assert_continuous(history: list[dict]) -> None:
    """No event twice, none missing: seq runs 1..n."""
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1)), [e["seq"] for e in history]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def open_alert(server, device: str, ack_timeout: str) -> tuple[str, dict]:
    """Register a device and send it a reading above its threshold: returns (instance, ack task)."""
    instance_id = register(server, device, ack_timeout)
    send_reading(server, device, THRESHOLD + 10, instance_id)
    [task] = open_tasks(server, instance_id)
    assert task["activity_id"] == "acknowledge_alert", task
    return instance_id, task


def assert_stored_state_stays_flat(server, device: str, instance_id: str) -> None:
    sessions = open_database(server.database_url)

    def stored_size() -> int:
        with sessions() as session:
            return len(session.scalar(select(ProcessInstance.workflow_state)
                                      .where(ProcessInstance.id == instance_id)))

    def alert_cycle(close_by_signal: bool) -> None:
        send_reading(server, device, 55, instance_id)
        send_reading(server, device, THRESHOLD + 20, instance_id)
        [task] = open_tasks(server, instance_id)
        if close_by_signal:
            closed = server.post("/api/v1/signals", json={"name": "maintenance-started"})
            assert closed.json()["delivered"] == [instance_id], closed.text
        else:
            assert server.post(f"{TASKS}/{task['id']}/complete", "olga", json={"variables": {}}).status_code == 200

    try:
        alert_cycle(close_by_signal=False)
        alert_cycle(close_by_signal=True)
        baseline = stored_size()
        for n in range(10):
            alert_cycle(close_by_signal=n % 2 == 1)
        after = stored_size()
    finally:
        sessions.kw["bind"].dispose()
    assert after <= baseline * 1.1, f"stored state grew from {baseline} to {after} bytes over 10 alerts"
    assert activities(server, instance_id) == ["wait_for_telemetry"]
    assert entered(server.history(instance_id), "handle_alert") == 12


# --- tests ----------------------------------------------------------------------------------------


def test_readings_below_the_threshold_keep_each_device_waiting_and_the_loop_stays_flat(monitoring):
    server = monitoring
    sensor_a, sensor_b = register(server, "sensor-a"), register(server, "sensor-b")
    assert activities(server, sensor_a) == ["wait_for_telemetry"]

    for temperature in (61.5, 70, THRESHOLD):  # the threshold itself is no breach
        send_reading(server, "sensor-a", temperature, sensor_a)
    send_reading(server, "sensor-b", 40, sensor_b)

    for instance_id, last in ((sensor_a, THRESHOLD), (sensor_b, 40)):
        state = instance(server, instance_id)
        assert state["state"] == "active" and state["open_tasks"] == []
        assert [a["activity_id"] for a in state["active_activities"]] == ["wait_for_telemetry"]
        assert state["variables"]["temperature"] == last
    assert server.get(TASKS, "olga").json()["items"] == []
    history = server.history(sensor_a)
    assert [e["data"]["variables"]["temperature"] for e in events(history, "message_received", "wait_for_telemetry")] \
        == [61.5, 70, THRESHOLD]
    assert entered(history, "handle_alert") == 0
    # Readings are correlated by device id: without one, the message matches both devices.
    ambiguous = server.post("/api/v1/messages", json={"name": "telemetry", "variables": {"temperature": 50}})
    assert ambiguous.status_code == 409, ambiguous.text
    assert telemetry(server, "sensor-unknown", 50).status_code == 404

    # Readings and alerts come and go for as long as a device lives: none may leave anything behind in
    # the instance's stored workflow state (their story is in the history table).
    assert_stored_state_stays_flat(server, "sensor-b", sensor_b)


def test_a_breach_opens_an_acknowledgement_for_oncall_and_acknowledging_in_time_ends_the_alert(monitoring):
    server = monitoring
    instance_id, task = open_alert(server, "sensor-1", ack_timeout="PT2S")
    assert task["name"] == "Acknowledge alert" and task["candidate_groups"] == ["oncall"]
    assert 1.5 <= (parse_time(task["due"]) - parse_time(task["created_at"])).total_seconds() <= 2.5
    assert activities(server, instance_id) == sorted(
        ["handle_alert", "acknowledge_alert", "ack_overdue", "maintenance_during_ack"])
    assert [t["id"] for t in server.get(TASKS, "olga").json()["items"]] == [task["id"]]
    assert server.get(TASKS, "lee").json()["items"] == []
    # Not on call yet: the task is not his, nor is its instance, so it does not exist for him.
    assert server.post(f"{TASKS}/{task['id']}/claim", "lee").status_code == 404
    # One alert at a time per device: while it is open, nothing waits for the device's readings.
    assert telemetry(server, "sensor-1", 99).status_code == 404

    assert server.post(f"{TASKS}/{task['id']}/claim", "olga").status_code == 200
    done = server.post(f"{TASKS}/{task['id']}/complete", "olga", json={"variables": {"ack_note": "fan restarted"}})
    assert done.status_code == 200, done.text
    state = done.json()
    assert state["state"] == "active" and state["open_tasks"] == []
    assert [a["activity_id"] for a in state["active_activities"]] == ["wait_for_telemetry"]
    assert state["variables"]["ack_note"] == "fan restarted"

    time.sleep(2 + QUIET_S)  # past the timer's due time: the cancelled timer must not fire
    history = server.history(instance_id)
    assert entered(history, "alert_acknowledged") == 1
    assert events(history, "job_executed") == [] and entered(history, "handle_escalated_alert") == 0
    assert [e["actor"] for e in events(history, "task_completed", "acknowledge_alert")] == ["olga"]
    assert open_tasks(server, instance_id) == []
    assert_continuous(history)
    send_reading(server, "sensor-1", 60, instance_id)  # monitored again


def test_an_unacknowledged_alert_is_escalated_to_the_oncall_lead_when_its_timer_fires(monitoring):
    server = monitoring
    instance_id, ack = open_alert(server, "sensor-2", ack_timeout="PT1S")

    escalated = wait_until("the escalation", lambda: escalated_task(server, instance_id), server, instance_id)
    waited = (parse_time(escalated["created_at"]) - parse_time(ack["created_at"])).total_seconds()
    assert waited >= 0.9, waited  # not before the timer was due
    assert escalated["name"] == "Handle escalated alert" and escalated["candidate_groups"] == ["oncall-lead"]
    assert server.get(f"{TASKS}/{ack['id']}").json()["state"] == "cancelled"
    assert server.get(TASKS, "olga").json()["items"] == []
    assert [t["id"] for t in server.get(TASKS, "lee").json()["items"]] == [escalated["id"]]
    assert server.post(f"{TASKS}/{escalated['id']}/claim", "olga").status_code == 403

    history = server.history(instance_id)
    [fired] = events(history, "job_executed", "ack_overdue")
    assert fired["data"]["kind"] == "timer" and fired["actor"] == "worker"
    assert len(events(history, "activity_cancelled", "acknowledge_alert")) == 1

    done = server.post(f"{TASKS}/{escalated['id']}/complete", "lee", json={"variables": {}})
    assert done.status_code == 200, done.text
    assert [a["activity_id"] for a in done.json()["active_activities"]] == ["wait_for_telemetry"]
    history = server.history(instance_id)
    assert entered(history, "escalation_handled") == 1 and entered(history, "alert_acknowledged") == 0
    assert_continuous(history)


def test_the_maintenance_signal_closes_every_open_alert(monitoring):
    server = monitoring
    waiting_ack, ack = open_alert(server, "sensor-3", ack_timeout="PT30S")
    escalated_id, _ = open_alert(server, "sensor-4", ack_timeout="PT1S")
    escalated = wait_until("the escalation", lambda: escalated_task(server, escalated_id), server, escalated_id)
    quiet = register(server, "sensor-5")
    send_reading(server, "sensor-5", 50, quiet)

    response = server.post("/api/v1/signals", json={"name": "maintenance-started",
                                                    "variables": {"maintenance_window": "02:00-04:00"}})
    assert response.status_code == 200, response.text
    assert sorted(response.json()["delivered"]) == sorted([waiting_ack, escalated_id])
    assert response.json()["started"] == []

    assert server.get(TASKS, "olga").json()["items"] == [] and server.get(TASKS, "lee").json()["items"] == []
    for instance_id, task, boundary in ((waiting_ack, ack, "maintenance_during_ack"),
                                        (escalated_id, escalated, "maintenance_during_escalation")):
        state = instance(server, instance_id)
        assert state["open_tasks"] == [] and state["state"] == "active"
        assert [a["activity_id"] for a in state["active_activities"]] == ["wait_for_telemetry"]
        assert state["variables"]["maintenance_window"] == "02:00-04:00"
        assert server.get(f"{TASKS}/{task['id']}").json()["state"] == "cancelled"
        history = server.history(instance_id)
        [why] = events(history, "signal_received")
        assert why["activity_id"] == boundary and why["data"]["name"] == "maintenance-started"
        assert len(events(history, "activity_cancelled", task["activity_id"])) == 1
        assert entered(history, "alert_closed_for_maintenance") == 1
        assert entered(history, "alert_acknowledged") == 0 and entered(history, "escalation_handled") == 0
        assert_continuous(history)
    assert events(server.history(quiet), "signal_received") == []
    assert activities(server, quiet) == ["wait_for_telemetry"]

    # Nothing is open any more: the next signal reaches no one; the devices are monitored again.
    again = server.post("/api/v1/signals", json={"name": "maintenance-started"})
    assert again.status_code == 200 and again.json()["delivered"] == []
    send_reading(server, "sensor-3", 60, waiting_ack)
    send_reading(server, "sensor-4", 60, escalated_id)


def test_the_escalation_happens_once_when_the_server_is_killed_while_the_timer_waits(monitoring):
    server = monitoring
    instance_id, ack = open_alert(server, "sensor-6", ack_timeout="PT2S")
    due = parse_time(ack["due"])

    server.stop(kill=True)  # SIGKILL, long before the timer is due: the worker dies with the server
    assert server.process.returncode == -9
    down_until = time.monotonic() + max(0.0, (due - datetime.now(timezone.utc)).total_seconds()) + 0.5
    while time.monotonic() < down_until:  # the timer comes due while nothing runs
        time.sleep(POLL_S)
    restarted_at = datetime.now(timezone.utc)
    server.start()

    escalated = wait_until("the escalation after the restart", lambda: escalated_task(server, instance_id),
                           server, instance_id)
    assert parse_time(escalated["created_at"]) >= restarted_at
    time.sleep(QUIET_S)  # a second firing would show by now

    assert [t["id"] for t in open_tasks(server, instance_id)] == [escalated["id"]]
    assert [t["id"] for t in server.get(TASKS, "lee").json()["items"]] == [escalated["id"]]
    assert server.get(f"{TASKS}/{ack['id']}").json()["state"] == "cancelled"
    history = server.history(instance_id)
    assert_continuous(history)
    assert len(events(history, "job_executed", "ack_overdue")) == 1
    assert len(events(history, "activity_completed", "ack_overdue")) == 1
    assert len(events(history, "activity_cancelled", "acknowledge_alert")) == 1
    assert entered(history, "handle_escalated_alert") == 1

    done = server.post(f"{TASKS}/{escalated['id']}/complete", "lee", json={"variables": {}})
    assert done.status_code == 200, done.text
    assert [a["activity_id"] for a in done.json()["active_activities"]] == ["wait_for_telemetry"]
