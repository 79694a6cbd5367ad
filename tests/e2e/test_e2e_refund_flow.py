"""The refund-approval sample through the real server: automatic approval, finance approval,
rejection, a crash and restart, suspension and termination."""
from __future__ import annotations

from e2e.support import assert_problem
from helpers import REFUND_BPMN, REFUND_POLICY

KEY = "refund_approval"
INSTANCES = "/api/v1/process-instances"
TASKS = "/api/v1/tasks"
TRACKED = {"instance_started", "activity_entered", "activity_completed", "instance_completed"}


def deploy_sample(server) -> dict:
    response = server.deploy((REFUND_BPMN.name, REFUND_BPMN.read_bytes()), (REFUND_POLICY.name, REFUND_POLICY.read_bytes()))
    assert response.status_code == 201, response.text
    return response.json()


def start_large_refund(server, amount: int = 500, user: str = "demo") -> dict:
    response = server.start_instance(KEY, {"amount": amount}, user)
    assert response.status_code == 201, response.text
    instance = response.json()
    assert instance["state"] == "active", instance
    return instance


def task_ids(server, user: str) -> list[str]:
    response = server.get(TASKS, user)
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["items"]]


def entered(history: list[dict]) -> list[str]:
    return [e["activity_id"] for e in history if e["type"] == "activity_entered"]


def assert_continuous(history: list[dict]) -> None:
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1)), [e["seq"] for e in history]


def test_small_refund_is_approved_automatically(server):
    out = server.cli("deploy", str(REFUND_BPMN))
    assert out.startswith("deployed "), out
    assert f"{KEY} version 1" in out, out

    response = server.start_instance(KEY, {"amount": 50})
    assert response.status_code == 201, response.text
    instance = response.json()
    assert instance["state"] == "completed"
    assert instance["variables"]["approved"] is True
    assert instance["variables"]["paid"] is True
    assert instance["active_activities"] == [] and instance["open_tasks"] == []
    assert instance["ended_at"] is not None

    again = server.get(f"{INSTANCES}/{instance['id']}")
    assert again.status_code == 200 and again.json()["state"] == "completed"
    variables = server.get(f"{INSTANCES}/{instance['id']}/variables")
    assert variables.status_code == 200 and variables.json()["paid"] is True

    history = server.history(instance["id"])
    seqs = [e["seq"] for e in history]
    assert all(a < b for a, b in zip(seqs, seqs[1:])), seqs
    steps = [(e["type"], e["activity_id"]) for e in history if e["type"] in TRACKED]
    path = ["start", "check_request", "valid_gateway", "amount_gateway", "auto_approve", "pay_refund", "end_paid"]
    expected = ([("instance_started", None)]
                + [(kind, activity) for activity in path for kind in ("activity_entered", "activity_completed")]
                + [("instance_completed", None)])
    assert steps == expected
    assert history[0]["actor"] == "demo" and history[0]["data"]["variables"] == {"amount": 50}


def test_large_refund_waits_for_finance(server):
    deploy_sample(server)
    instance = start_large_refund(server)
    assert [a["activity_id"] for a in instance["active_activities"]] == ["finance_approval"]
    assert len(instance["open_tasks"]) == 1
    task = instance["open_tasks"][0]
    assert task["activity_id"] == "finance_approval"
    assert task["candidate_groups"] == ["finance"]
    assert task["assignee"] is None and task["state"] == "open"
    assert task["process_instance_id"] == instance["id"]
    task_url = f"{TASKS}/{task['id']}"

    assert task["id"] in task_ids(server, "alice")
    assert task["id"] not in task_ids(server, "bob")
    shown = server.get(task_url, "alice")
    assert shown.status_code == 200 and shown.json()["variables"]["amount"] == 500

    # bob neither started the refund nor is a candidate: for him the task does not exist.
    assert_problem(server.post(f"{task_url}/claim", "bob"), 404)
    assert_problem(server.post(f"{task_url}/complete", "bob", json={"variables": {"approved": True}}), 404)

    claimed = server.post(f"{task_url}/claim", "alice")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["assignee"] == "alice"

    done = server.post(f"{task_url}/complete", "alice", json={"variables": {"approved": True}})
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["state"] == "completed"
    assert result["variables"]["paid"] is True and result["variables"]["approved"] is True
    assert result["open_tasks"] == []
    assert task["id"] not in task_ids(server, "alice")
    assert server.get(task_url, "alice").json()["state"] == "completed"

    history = server.history(instance["id"])
    assert_continuous(history)
    by_type = {e["type"]: e for e in history}
    assert by_type["task_claimed"]["actor"] == "alice"
    assert by_type["task_claimed"]["data"]["task_id"] == task["id"]
    assert by_type["task_completed"]["actor"] == "alice"
    assert by_type["task_completed"]["data"]["variables"] == {"approved": True}
    assert by_type["task_completed"]["activity_id"] == "finance_approval"
    types = [e["type"] for e in history]
    assert types.index("task_claimed") < types.index("task_completed") < types.index("instance_completed")
    assert entered(history)[-2:] == ["pay_refund", "end_paid"]


def test_rejected_refund_ends_rejected(server):
    deploy_sample(server)
    instance = start_large_refund(server, amount=900)
    task_id = instance["open_tasks"][0]["id"]

    done = server.post(f"{TASKS}/{task_id}/complete", "alice", json={"variables": {"approved": False}})
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["state"] == "completed"
    assert result["variables"]["approved"] is False
    assert "paid" not in result["variables"]

    history = server.history(instance["id"])
    assert_continuous(history)
    assert "end_rejected" in entered(history)
    assert "pay_refund" not in entered(history) and "end_paid" not in entered(history)
    assert history[-1]["type"] == "instance_completed"


def test_restart_loses_nothing(server):
    deploy_sample(server)
    instance = start_large_refund(server, amount=750)
    task_id = instance["open_tasks"][0]["id"]
    claimed = server.post(f"{TASKS}/{task_id}/claim", "alice")
    assert claimed.status_code == 200, claimed.text
    before = server.get(f"{INSTANCES}/{instance['id']}").json()
    history_before = server.history(instance["id"])

    server.stop(kill=True)
    assert not server.running
    server.start()

    after = server.get(f"{INSTANCES}/{instance['id']}")
    assert after.status_code == 200, after.text
    after = after.json()
    assert after == before
    assert after["state"] == "active"
    assert [t["id"] for t in after["open_tasks"]] == [task_id]
    assert after["open_tasks"][0]["assignee"] == "alice"
    assert server.history(instance["id"]) == history_before
    assert task_id in task_ids(server, "alice")

    done = server.post(f"{TASKS}/{task_id}/complete", "alice", json={"variables": {"approved": True}})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed" and done.json()["variables"]["paid"] is True

    history = server.history(instance["id"])
    assert_continuous(history)
    assert history[:len(history_before)] == history_before
    assert [e["type"] for e in history].count("task_completed") == 1
    assert history[-1]["type"] == "instance_completed"


def test_suspended_instance_refuses_task_completion(server):
    deploy_sample(server)
    instance = start_large_refund(server)
    task_id = instance["open_tasks"][0]["id"]
    instance_url = f"{INSTANCES}/{instance['id']}"

    suspended = server.post(f"{instance_url}/suspend", params={"reason": "audit"})
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["state"] == "suspended"
    assert server.get(instance_url).json()["state"] == "suspended"

    refused = server.post(f"{TASKS}/{task_id}/complete", "alice", json={"variables": {"approved": True}})
    assert_problem(refused, 409, "urn:fuse:problem:conflict")
    assert server.get(instance_url).json()["state"] == "suspended"
    assert_problem(server.post(f"{instance_url}/suspend"), 409)

    resumed = server.post(f"{instance_url}/resume")
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["state"] == "active"
    assert [t["id"] for t in resumed.json()["open_tasks"]] == [task_id]

    done = server.post(f"{TASKS}/{task_id}/complete", "alice", json={"variables": {"approved": True}})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed" and done.json()["variables"]["paid"] is True

    history = server.history(instance["id"])
    assert_continuous(history)
    types = [e["type"] for e in history]
    assert types.index("instance_suspended") < types.index("instance_resumed") < types.index("task_completed")
    suspended_event = history[types.index("instance_suspended")]
    assert suspended_event["actor"] == "demo" and suspended_event["data"]["reason"] == "audit"
    assert types.count("task_completed") == 1


def test_terminate_keeps_instance(server):
    deploy_sample(server)
    instance = start_large_refund(server)
    task_id = instance["open_tasks"][0]["id"]
    instance_url = f"{INSTANCES}/{instance['id']}"
    assert task_id in task_ids(server, "alice")

    reason = "customer withdrew the request"
    terminated = server.delete(instance_url, params={"reason": reason})
    assert terminated.status_code == 200, terminated.text
    assert terminated.json()["state"] == "terminated"
    assert terminated.json()["open_tasks"] == []

    kept = server.get(instance_url)
    assert kept.status_code == 200, kept.text
    assert kept.json()["state"] == "terminated"
    assert kept.json()["ended_at"] is not None
    assert kept.json()["active_activities"] == []

    history = server.history(instance["id"])
    assert_continuous(history)
    last = history[-1]
    assert last["type"] == "instance_terminated"
    assert last["actor"] == "demo"
    assert last["data"]["reason"] == reason
    assert "instance_completed" not in [e["type"] for e in history]

    assert task_id not in task_ids(server, "alice")
    assert task_id not in task_ids(server, "demo")
    assert server.get(f"{TASKS}/{task_id}", "alice").json()["state"] != "open"
    assert_problem(server.post(f"{TASKS}/{task_id}/complete", "alice", json={"variables": {"approved": True}}), 409)
    assert_problem(server.delete(instance_url), 409)
