"""Every validation and deployment is bounded: in bytes, in elements, in compile seconds and in how many
run at once; each limit answers with a problem naming the setting that sets it."""
from __future__ import annotations

import io
import threading

from engine.deployment.admission import compile_slot
from helpers import chain_process

PROBLEM_JSON = "application/problem+json"


def _post(client, headers, path, model):
    data = {"file": [(io.BytesIO(model), "chain.bpmn")]}
    return client.post(f"/api/v1/{path}", data=data, headers=headers, content_type="multipart/form-data")


def test_a_model_with_too_many_elements_is_refused_naming_the_limit(client, auth, monkeypatch):
    monkeypatch.setenv("FUSE_MAX_MODEL_ELEMENTS", "1000")
    for path, headers in (("validate", auth["bob"]), ("deployments", auth["demo"])):
        answer = _post(client, headers, path, chain_process(400))
        assert answer.status_code == 413, answer.json
        assert answer.content_type == PROBLEM_JSON
        assert answer.json["type"] == "urn:fuse:problem:model-too-large"
        assert answer.json["limit"] == "FUSE_MAX_MODEL_ELEMENTS" and "1,000" in answer.json["detail"]
    assert _post(client, auth["bob"], "validate", chain_process(100)).status_code == 200


def test_a_model_over_the_byte_limit_is_refused_naming_the_limit(client, auth, monkeypatch):
    monkeypatch.setenv("FUSE_MAX_MODEL_BYTES", "5000")
    answer = _post(client, auth["bob"], "validate", chain_process(100))
    assert answer.status_code == 413 and answer.json["limit"] == "FUSE_MAX_MODEL_BYTES"


def test_a_compilation_over_the_time_limit_is_stopped(client, auth, monkeypatch):
    monkeypatch.setenv("FUSE_COMPILE_TIMEOUT_S", "0.05")
    for path, headers in (("validate", auth["bob"]), ("deployments", auth["demo"])):
        answer = _post(client, headers, path, chain_process(5000))
        assert answer.status_code == 422, answer.json
        assert answer.json["type"] == "urn:fuse:problem:compile-timeout"
        assert answer.json["limit"] == "FUSE_COMPILE_TIMEOUT_S"


def test_compilations_past_the_concurrency_limit_get_503_with_retry_after(client, auth, monkeypatch):
    monkeypatch.setenv("FUSE_MAX_CONCURRENT_COMPILES", "1")
    holding, release = threading.Event(), threading.Event()

    def hold_the_only_slot():
        with compile_slot():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_only_slot)
    holder.start()
    try:
        assert holding.wait(10)
        answer = _post(client, auth["bob"], "validate", chain_process(10))
        assert answer.status_code == 503
        assert answer.json["type"] == "urn:fuse:problem:server-busy"
        assert int(answer.headers["Retry-After"]) > 0
    finally:
        release.set()
        holder.join()
    assert _post(client, auth["bob"], "validate", chain_process(10)).status_code == 200


def test_the_openapi_document_describes_the_limits(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/validate", "/api/v1/deployments"):
        assert {"413", "422", "503"} <= set(paths[path]["post"]["responses"]), path
