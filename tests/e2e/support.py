"""The real `fuse` server as a subprocess, set up and driven the way an operator and a client would.

Users and tokens are made by the engine functions behind `fuse user add` and `fuse token create`, the server
is `fuse serve` on a free port, and everything after that is HTTP through `requests`.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from engine.identity.users import add_user, create_token
from engine.store.db import open_database

FUSE = Path(sys.executable).with_name("fuse")
HEALTH_POLL_S = 0.05
HEALTH_TIMEOUT_S = 20
CLI_TIMEOUT_S = 60
HTTP_TIMEOUT_S = 30
PROBLEM_JSON = "application/problem+json"

# name -> groups, made with `fuse user add NAME --group G ...`
USERS = {"demo": ["admin", "finance"], "alice": ["finance"], "bob": ["sales"]}


LIBC = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """In the child, before exec: the kernel SIGKILLs the server if the test run dies without teardown."""
    try:
        ctypes.CDLL(LIBC).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError, TypeError):
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FuseServer:
    """One `fuse serve` process on one database; `stop()` and `start()` restart it on the same one."""

    def __init__(self, database_url: str, workdir: Path, workers: int = 1):
        self.database_url = database_url
        # One serving process unless a test is about several (tests/e2e/test_e2e_serve_processes.py).
        self.workers = workers
        self.workdir = workdir
        self.env = {**os.environ, "FUSE_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.tokens: dict[str, str] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._stderr_path: Path | None = None

    # --- the `fuse` command -------------------------------------------------------------------

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run `fuse ARGS...` (with `stdin` as its input); returns stdout, fails the test (with stderr) on a
        non-zero exit."""
        done = subprocess.run([str(FUSE), *args], env=self.env, cwd=self.workdir, capture_output=True,
                              text=True, timeout=CLI_TIMEOUT_S, input=stdin)
        if done.returncode != 0:
            pytest.fail(f"fuse {' '.join(args)} exited {done.returncode}\nstdout: {done.stdout}\n"
                        f"stderr: {done.stderr}", pytrace=False)
        return done.stdout

    def add_users(self, users: dict[str, list[str]]) -> None:
        """Make each user with its groups and a token, keeping tokens and headers.

        Made in this process through the engine functions `fuse user add` and `fuse token create` call
        (tests/api/test_tokens.py runs the commands themselves): a `fuse` process spends ~4 s of CPU importing
        the product, and seven of them per test made the suite outgrow CI's time on two cores.
        """
        sessions = open_database(self.database_url)
        try:
            with sessions.begin() as session:
                for name, groups in users.items():
                    add_user(session, name, groups)
                    self.tokens[name] = create_token(session, name)
                    self.headers[name] = {"Authorization": f"Bearer {self.tokens[name]}"}
        finally:
            sessions.kw["bind"].dispose()

    # --- the server process -------------------------------------------------------------------

    def launch(self) -> None:
        """Start `fuse serve` without waiting for it (see wait_until_healthy)."""
        assert self.process is None or self.process.poll() is not None, "the server is already running"
        self.starts += 1
        self._stderr_path = self.workdir / f"serve-{self.starts}.stderr"
        stdout_path = self.workdir / f"serve-{self.starts}.stdout"
        with open(stdout_path, "wb") as out, open(self._stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [str(FUSE), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)],
                env=self.env, cwd=self.workdir, stdout=out, stderr=err,
                preexec_fn=_die_with_parent if LIBC else None)

    def stderr(self) -> str:
        if self._stderr_path is None or not self._stderr_path.exists():
            return ""
        return self._stderr_path.read_text(errors="replace")

    def wait_until_healthy(self) -> None:
        """Poll GET /healthz every 50 ms until it answers 200 (or fail with the server's stderr)."""
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        last, retries = "no answer yet", 3
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "Address already in use" in self.stderr() and retries > 0:
                    retries -= 1  # someone took the free port between our pick and the server's bind
                    self.port = free_port()
                    self.base_url = f"http://127.0.0.1:{self.port}"
                    self.launch()
                    continue
                pytest.fail(f"fuse serve exited with {self.process.returncode} before it was healthy\n"
                            f"stderr:\n{self.stderr()}", pytrace=False)
            try:
                response = requests.get(f"{self.base_url}/healthz", timeout=1)
                if response.status_code == 200 and response.json().get("status") == "ok":
                    return
                last = f"{response.status_code} {response.text[:500]}"
            except requests.RequestException as err:
                last = f"{type(err).__name__}: {err}"
            time.sleep(HEALTH_POLL_S)
        self.stop(kill=True)
        pytest.fail(f"fuse serve on port {self.port} was not healthy within {HEALTH_TIMEOUT_S} s "
                    f"(last: {last})\nstderr:\n{self.stderr()}", pytrace=False)

    def start(self) -> None:
        """Start the server (again) on the same database and port; returns once /healthz answers."""
        self.launch()
        self.wait_until_healthy()

    def stop(self, kill: bool = True) -> None:
        """SIGKILL (default: a crash, nothing gets to clean up) or SIGTERM the server, and reap it."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # --- HTTP ---------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path

    def request(self, method: str, path: str, user: str | None = "demo", **kwargs) -> requests.Response:
        """An HTTP request as `user` (None: without a token)."""
        headers = {**(self.headers[user] if user else {}), **kwargs.pop("headers", {})}
        return requests.request(method, self.url(path), headers=headers, timeout=HTTP_TIMEOUT_S, **kwargs)

    def get(self, path: str, user: str | None = "demo", **kwargs) -> requests.Response:
        return self.request("GET", path, user, **kwargs)

    def post(self, path: str, user: str | None = "demo", **kwargs) -> requests.Response:
        return self.request("POST", path, user, **kwargs)

    def delete(self, path: str, user: str | None = "demo", **kwargs) -> requests.Response:
        return self.request("DELETE", path, user, **kwargs)

    def deploy(self, *files: tuple[str, bytes], user: str | None = "demo", name: str | None = None,
               **kwargs) -> requests.Response:
        """POST /api/v1/deployments with one multipart `file` part per (filename, bytes)."""
        data = {"name": name} if name else None
        return self.post("/api/v1/deployments", user,
                         files=[("file", (filename, content, "application/octet-stream"))
                                for filename, content in files], data=data, **kwargs)

    def start_instance(self, key: str, variables: dict, user: str = "demo") -> requests.Response:
        return self.post("/api/v1/process-instances", user, json={"definition_key": key, "variables": variables})

    def history(self, instance_id: str, user: str = "demo") -> list[dict]:
        response = self.get(f"/api/v1/process-instances/{instance_id}/history", user)
        assert response.status_code == 200, response.text
        return response.json()


def assert_problem(response: requests.Response, status: int, type_: str | None = None) -> dict:
    """The response is an application/problem+json error with this status (and type, if given)."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    assert response.headers["Content-Type"].startswith(PROBLEM_JSON), response.headers["Content-Type"]
    body = response.json()
    assert body["status"] == status, body
    assert isinstance(body.get("type"), str) and body["type"], body
    assert body.get("detail"), body
    if type_ is not None:
        assert body["type"] == type_, body
    assert "Traceback" not in response.text
    return body
