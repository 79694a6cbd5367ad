"""Two people completing the same task at the same moment, through the real server."""
from __future__ import annotations

import threading

import requests

from e2e.support import HTTP_TIMEOUT_S, assert_problem
from helpers import REFUND_BPMN, REFUND_POLICY

RACES = 5


def race_to_complete(server, task_id: str, users: tuple[str, str]) -> list[requests.Response]:
    """Both users POST /complete for the task, released together by a barrier."""
    barrier = threading.Barrier(len(users))
    responses: list = [None] * len(users)
    url = server.url(f"/api/v1/tasks/{task_id}/complete")

    def complete(index: int, user: str) -> None:
        with requests.Session() as http:  # connection set up before the barrier, not inside the race
            http.headers.update(server.headers[user])
            http.get(server.url("/healthz"), timeout=HTTP_TIMEOUT_S)
            barrier.wait(timeout=HTTP_TIMEOUT_S)
            try:
                responses[index] = http.post(url, json={"variables": {"approved": True, "by": user}},
                                             timeout=HTTP_TIMEOUT_S)
            except requests.RequestException as err:
                responses[index] = err

    threads = [threading.Thread(target=complete, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * HTTP_TIMEOUT_S)
    assert not any(t.is_alive() for t in threads), "a completion request hung"
    assert all(isinstance(r, requests.Response) for r in responses), responses
    return responses


def test_concurrent_completion_of_one_task_succeeds_once(server):
    deployed = server.deploy((REFUND_BPMN.name, REFUND_BPMN.read_bytes()), (REFUND_POLICY.name, REFUND_POLICY.read_bytes()))
    assert deployed.status_code == 201, deployed.text

    for race in range(RACES):
        started = server.start_instance("refund_approval", {"amount": 500 + race})
        assert started.status_code == 201, started.text
        instance = started.json()
        task_id = instance["open_tasks"][0]["id"]

        responses = race_to_complete(server, task_id, ("alice", "demo"))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409], [(r.status_code, r.text) for r in responses]
        winner = next(r for r in responses if r.status_code == 200)
        loser = next(r for r in responses if r.status_code == 409)
        assert winner.json()["state"] == "completed" and winner.json()["variables"]["paid"] is True
        assert_problem(loser, 409, "urn:fuse:problem:conflict")

        history = server.history(instance["id"])
        types = [e["type"] for e in history]
        assert types.count("task_completed") == 1, types
        assert types.count("instance_completed") == 1, types
        assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
        completed_by = next(e for e in history if e["type"] == "task_completed")["actor"]
        assert winner.json()["variables"]["by"] == completed_by

        final = server.get(f"/api/v1/process-instances/{instance['id']}").json()
        assert final["state"] == "completed" and final["open_tasks"] == []
        task = server.get(f"/api/v1/tasks/{task_id}").json()
        assert task["state"] == "completed"
