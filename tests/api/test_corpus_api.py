"""Every corpus and repro model through the REST API as a user sends it: never a 5xx, and every message in
words naming its element or line (the same rule tests/bpmn/test_problem_messages.py holds the compiler to)."""
from __future__ import annotations

import io

import pytest

from helpers import CORPUS, REPRO

from bpmn_messages import PYTHON_TEXT

MODELS = sorted(CORPUS.glob("*/*.bpmn")) + sorted(REPRO.glob("*.bpmn"))


def companions(path) -> list:
    """Forms and decisions kept beside a model, sent with it as a modeller's deployment would."""
    return [p for p in sorted(path.parent.glob(path.stem + ".*")) if p.suffix in (".form", ".dmn")]


def upload(client, url: str, headers: dict, paths: list, **fields):
    data = {"file": [(io.BytesIO(p.read_bytes()), p.name) for p in paths], **fields}
    return client.post(url, data=data, headers=headers, content_type="multipart/form-data")


@pytest.mark.parametrize("path", MODELS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_validating_and_deploying_any_model_answers_in_words(client, auth, path):
    files = [path, *companions(path)]
    report = upload(client, "/api/v1/validate", auth["demo"], files)
    assert report.status_code == 200, report.json
    for item in report.json["errors"] + report.json["warnings"]:
        assert not PYTHON_TEXT.search(item["message"]), item
        assert item["element_id"] or item["line"], item
    deployed = upload(client, "/api/v1/deployments", auth["demo"], files, allow_non_executable="true")
    assert deployed.status_code < 500, deployed.json
    if deployed.status_code >= 400:
        assert deployed.content_type == "application/problem+json"
        for item in deployed.json.get("errors", []):
            assert not PYTHON_TEXT.search(item["message"]), item
