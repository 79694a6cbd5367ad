"""Model files accepted through the API are data: a pickle, which runs code when it is loaded, is refused at
deploy and at validation with a 422 naming the file and the way out, and nothing in it runs."""
from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest
from onnx import TensorProto, helper

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



def test_an_onnx_file_that_reads_files_on_the_server_is_refused(client, auth):
    # A tensor whose data is "external": onnxruntime would read it from a file near the server's working dir.
    weights = TensorProto(name="W", data_type=TensorProto.UINT8, dims=[16], data_location=TensorProto.EXTERNAL)
    weights.external_data.add(key="location", value="fuse.db")
    graph = helper.make_graph([helper.make_node("Identity", ["W"], ["out"])], "g", [],
                              [helper.make_tensor_value_info("out", TensorProto.UINT8, [16])], initializer=[weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    response = deploy(client, auth["demo"], ("p.bpmn", one_script_process("x = 1")), ("leak.onnx", model))
    assert response.status_code == 422 and response.json["type"] == "urn:fuse:problem:unsafe-model-file"
    assert response.json["file"] == "leak.onnx" and "embedded" in response.json["detail"]
    garbage = deploy(client, auth["demo"], ("p.bpmn", one_script_process("x = 1")), ("m.onnx", b"\xff\x00junk"))
    assert garbage.status_code == 400 and "not an ONNX model file" in garbage.json["detail"]
