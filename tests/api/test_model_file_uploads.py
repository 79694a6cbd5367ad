"""Model files accepted through the API are data: a pickle, which runs code when it is loaded, is refused at
deploy and at validation with a 422 naming the file and the way out, and nothing in it runs."""
from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest

from helpers import deploy, one_script_process


class CreatesAFile:
    """Unpickling this creates the file `path` (where a real attack would run any command)."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("name", ["classifier.joblib", "model.pkl", "Model.PICKLE"])
def test_a_pickle_is_refused_at_deploy_and_nothing_in_it_runs(client, auth, tmp_path, name):
    marker = tmp_path / "pwned"
    upload = [("p.bpmn", one_script_process("x = 1")), (name, pickle.dumps(CreatesAFile(marker)))]
    response = deploy(client, auth["demo"], *upload)
    assert response.status_code == 422 and response.mimetype == "application/problem+json", response.json
    problem = response.json
    assert problem["type"] == "urn:fuse:problem:unsafe-model-file" and problem["file"] == name
    assert name in problem["detail"] and "ONNX" in problem["detail"] and "FUSE_TRUSTED_MODEL_DIR" in problem["detail"]
    validated = client.post("/api/v1/validate", headers=auth["demo"], content_type="multipart/form-data",
                            data={"file": [(io.BytesIO(content), file) for file, content in upload]})
    assert validated.status_code == 422 and validated.json["type"] == "urn:fuse:problem:unsafe-model-file"
    assert not marker.exists()
    assert client.get("/api/v1/deployments", headers=auth["demo"]).json == []

