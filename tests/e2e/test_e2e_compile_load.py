"""Eight people validating a huge model at once do not stop the server: health checks and ordinary calls
keep answering within a second, validations past the compile limit are turned away with 503 + Retry-After."""
from __future__ import annotations

import threading
import time

import requests

from e2e.support import HTTP_TIMEOUT_S
from helpers import chain_process

ATTACKERS = 8
PROBE_INTERVAL_S = 0.1
MAX_LATENCY_S = 1.0


def _validate(server, model: bytes, answers: list, index: int) -> None:
    try:
        answers[index] = requests.post(server.url("/api/v1/validate"), headers=server.headers["bob"],
                                       files={"file": ("chain.bpmn", model)}, timeout=120)
    except requests.RequestException as err:
        answers[index] = err


def _probe(server, stop: threading.Event, latencies: list) -> None:
    """GET /healthz and an ordinary API call, every 100 ms, timing each until `stop`."""
    with requests.Session() as http:
        http.headers.update(server.headers["alice"])
        while not stop.is_set():
            for path in ("/healthz", "/api/v1/process-definitions"):
                began = time.monotonic()
                answer = http.get(server.url(path), timeout=HTTP_TIMEOUT_S)
                latencies.append((path, answer.status_code, time.monotonic() - began))
            time.sleep(PROBE_INTERVAL_S)


def test_eight_huge_validations_leave_the_server_answering(server):
    model = chain_process(20_000)  # ~3.7 MB: seconds of compiling each
    answers: list = [None] * ATTACKERS
    attackers = [threading.Thread(target=_validate, args=(server, model, answers, i)) for i in range(ATTACKERS)]
    stop, latencies = threading.Event(), []
    prober = threading.Thread(target=_probe, args=(server, stop, latencies))
    prober.start()
    for attacker in attackers:
        attacker.start()
    for attacker in attackers:
        attacker.join(timeout=180)
    time.sleep(0.5)
    stop.set()
    prober.join(timeout=HTTP_TIMEOUT_S)

    assert all(isinstance(a, requests.Response) for a in answers), answers
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 503}, statuses
    assert 200 in statuses and 503 in statuses, statuses
    for answer in answers:
        if answer.status_code == 503:
            assert answer.headers["Content-Type"].startswith("application/problem+json")
            assert answer.json()["type"] == "urn:fuse:problem:server-busy"
            assert int(answer.headers["Retry-After"]) > 0
        else:
            assert answer.json()["valid"] is True
    assert len(latencies) >= 4, latencies
    assert all(status == 200 for _, status, _ in latencies), latencies
    slowest = max(latencies, key=lambda probe: probe[2])
    assert slowest[2] < MAX_LATENCY_S, slowest
