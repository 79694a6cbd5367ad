"""What `make run` does before it serves (`make demo`): run twice, it leaves one valid demo token and deploys
nothing new, and each sample README's redeploy is the deployment `make run` made."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
from api.extensions import db
from engine.identity.users import is_valid, list_tokens
from helpers import ROOT, SAMPLES, deploy

MAKE_TIMEOUT_S = 180
DEFINITIONS = "/api/v1/process-definitions"
# The files each sample README deploys again by hand, as it tells the reader to.
README_REDEPLOYS = {
    "refund-approval": ["refund-approval.bpmn", "refund-approval.form", "refund-approval.policy.json"],
    "telemetry": ["telemetry.bpmn"],
    "ai-confidence-loop": ["ai-confidence-loop.bpmn", "review.form", "auto-handling.policy.json",
                           "classifier.onnx"],
}


def make_demo(database_url: str) -> str:
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "demo", f"BIN={Path(sys.executable).parent}"],
        env={**os.environ, "FUSE_DATABASE_URL": database_url}, capture_output=True, text=True,
        timeout=MAKE_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def demo_token(output: str) -> str:
    [line] = [line for line in output.splitlines() if "Demo token:" in line]
    return line.split()[2]


@pytest.fixture
def database_url(tmp_path):
    """A SQLite file that does not exist yet, as on a first `make run` (what is tested here is the Makefile)."""
    return f"sqlite:///{tmp_path}/fuse.db"


def test_two_runs_leave_one_valid_demo_token_and_deploy_nothing_new(database_url):
    first = make_demo(database_url)
    second = make_demo(database_url)
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    client = app.test_client()
    assert second.count("unchanged, already deployed as") == len(list(SAMPLES.iterdir()))
    assert "deployed " not in second.replace("unchanged, already deployed as", "")
    with app.app_context():
        assert [t.note for t in list_tokens(db.session, "demo") if is_valid(t)] == ["make run"]
    assert client.get(DEFINITIONS, headers={"Authorization": f"Bearer {demo_token(first)}"}).status_code == 401
    latest = {"Authorization": f"Bearer {demo_token(second)}"}
    assert client.get(DEFINITIONS, headers=latest).status_code == 200
    for sample, files in README_REDEPLOYS.items():
        again = deploy(client, latest, *[(f, (SAMPLES / sample / f).read_bytes()) for f in files], name=sample)
        assert again.status_code == 200, (sample, again.json)
    assert {d["version"] for d in client.get(DEFINITIONS, headers=latest).json} == {1}
