"""`fuse serve` as a newcomer meets it: a port that is taken is one clear line, not a traceback."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

FUSE = Path(sys.executable).with_name("fuse")
EXIT_TIMEOUT_S = 60


def run_on_a_taken_port(args: list[str], tmp_path: Path, database_url: str) -> tuple[subprocess.CompletedProcess, int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(FUSE), *args, str(port)], cwd=tmp_path, capture_output=True, text=True, check=False,
            timeout=EXIT_TIMEOUT_S, env={**os.environ, "FUSE_DATABASE_URL": database_url, "FUSE_LOG_FORMAT": "text"})
    return result, port


def test_serve_on_a_taken_port_says_so_in_one_line_and_exits_non_zero(tmp_path, database_url):
    result, port = run_on_a_taken_port(["serve", "--port"], tmp_path, database_url)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output and "listening" not in output.lower()
    [line] = output.strip().splitlines()
    assert f"127.0.0.1:{port}" in line and "already in use" in line


def test_a_worker_whose_metrics_port_is_taken_says_so_in_one_line(tmp_path, database_url):
    result, port = run_on_a_taken_port(["worker", "--metrics-port"], tmp_path, database_url)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert f"127.0.0.1:{port}" in line and "--metrics-port" in line
