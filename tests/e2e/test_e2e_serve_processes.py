"""`fuse serve --workers 2`: two processes answer on one port over one database, and to a client they are one
server: a sign-in made by one is honoured by the other, metrics sum what both did, failed tokens are limited
in total, and a killed server leaves no process behind."""
from __future__ import annotations

import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from e2e.support import HTTP_TIMEOUT_S, USERS, FuseServer
from helpers import bpmn_document, flow, script_task

KEY = "counted"
INSTANCES = 24
CLIENTS = 4
PASSWORD = "correct horse battery"
CLOSE = {"Connection": "close"}  # a new connection per request, so the kernel hands requests to either process


@pytest.fixture
def metrics_dir(tmp_path) -> Path:
    folder = tmp_path / "metrics"
    folder.mkdir()
    return folder


@pytest.fixture
def two_processes(database_url, tmp_path, metrics_dir):
    workdir = tmp_path / "server"
    workdir.mkdir()
    fuse = FuseServer(database_url, workdir, workers=2)
    fuse.env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)  # given: so that the test can see who wrote what
    try:
        fuse.launch()
        fuse.add_users(USERS)
        fuse.wait_until_healthy()
        yield fuse
    finally:
        fuse.stop(kill=False)


def children(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (name) ": state, ppid, ...
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def gone(pids: list[int], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "Z"
    return stat[stat.rindex(")") + 2:].split()[0]


def one_script_model() -> bytes:
    body = ('<bpmn:startEvent id="start"/>' + script_task("s1", "x = 1") + '<bpmn:endEvent id="end"/>'
            + flow("f1", "start", "s1") + flow("f2", "s1", "end"))
    return bpmn_document(body, KEY)


def test_two_processes_answer_as_one_server(two_processes, metrics_dir):
    server = two_processes
    assert len(children(server.process.pid)) == 2
    assert server.deploy((f"{KEY}.bpmn", one_script_model())).status_code == 201

    def start(_):
        return server.post("/api/v1/process-instances", json={"definition_key": KEY, "variables": {}}, headers=CLOSE)

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(start, range(INSTANCES)))
    assert [a.status_code for a in answers] == [201] * INSTANCES
    assert {a.json()["state"] for a in answers} == {"completed"}

    # Both processes did some of the work (each writes its own file), and a scrape sums them, whoever answers.
    writers = {re.search(r"_(\d+)\.db$", p.name).group(1) for p in metrics_dir.glob("histogram_*.db")}
    assert len(writers) == 2, sorted(p.name for p in metrics_dir.iterdir())
    series = re.compile(r'^fuse_activity_duration_seconds_count\{[^}]*activity_id="s1"[^}]*\} (\S+)$', re.M)
    for _ in range(4):
        scrape = server.get("/metrics", user=None, headers=CLOSE)
        assert scrape.status_code == 200
        assert [float(v) for v in series.findall(scrape.text)] == [INSTANCES], scrape.text[:2000]
    assert "fuse_instances" in scrape.text  # the database's counts are there too


def test_a_sign_in_made_by_one_process_is_honoured_by_the_other(two_processes):
    server = two_processes
    server.cli("user", "passwd", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    browser = requests.Session()
    form = browser.get(server.url("/login"), headers=CLOSE, timeout=HTTP_TIMEOUT_S)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    signed_in = browser.post(server.url("/login"), headers=CLOSE, timeout=HTTP_TIMEOUT_S, allow_redirects=False,
                             data={"csrf_token": csrf, "next": "/", "name": "alice", "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.text[:500]
    for _ in range(20):  # each on a new connection: about half reach the process that did not sign her in
        me = browser.get(server.url("/api/v1/me"), headers=CLOSE, timeout=HTTP_TIMEOUT_S)
        assert me.status_code == 200 and me.json()["user"] == "alice", me.text[:300]


def test_failed_tokens_are_limited_in_total_not_per_process(two_processes):
    server = two_processes
    wrong = {"Authorization": "Bearer fuse_guess", **CLOSE}

    def guess(_):
        return requests.get(server.url("/api/v1/me"), headers=wrong, timeout=HTTP_TIMEOUT_S).status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(guess, range(120)))
    assert set(statuses) == {401, 429}
    # FUSE_AUTH_FAILURE_LIMIT's default is 20: each process allows half of it, plus the requests in flight when
    # it was reached (two processes each allowing the whole limit would let 40 through).
    assert statuses.count(401) <= 20 + CLIENTS


def test_a_killed_server_leaves_no_process_and_starts_again(two_processes):
    server = two_processes
    workers = children(server.process.pid)
    assert len(workers) == 2
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    assert gone(workers, within_s=10), [(pid, _state(pid)) for pid in workers]
    server.start()  # the same port again
    assert server.get("/api/v1/process-definitions").status_code == 200
    server.stop(kill=False)
    assert server.process.returncode == 0
