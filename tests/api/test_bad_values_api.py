"""Values a request or a script cannot store answer 4xx naming the problem, or fail the instance
naming the activity and the variable - never a 500, and a NaN is never stored (issue 13, hole 6)."""
from __future__ import annotations

import json

import pytest

from helpers import bpmn_document, deploy, flow, one_script_process, script_task, start, user_task_process

UNSTORABLE_SCRIPTS = {
    "itself": ("x = []\nx.append(x)", "refers to itself"),
    "tuple_keys": ("x = {(1, 2): 3}", "key of type tuple"),
    "huge_int": ("x = 2**999999", "too large"),
    "deep": ("x = []\nfor i in range(100000):\n    x = [x]", "nested more than"),
    "nan": ("x = float('nan')", "not a JSON number"),
    "too_big": ("x = 'a' * (2 * 1024 * 1024)", "more than the"),
}


def problem_type(response) -> str:
    assert response.content_type == "application/problem+json", response.get_data(as_text=True)[:300]
    return response.json["type"]


def assert_failed_at(instance: dict, activity: str, variable: str, why: str) -> None:
    assert instance["state"] == "failed"
    assert instance["error"]["activity_id"] == activity
    assert f"'{variable}'" in instance["error"]["message"] and why in instance["error"]["message"]


@pytest.mark.parametrize("case", sorted(UNSTORABLE_SCRIPTS))
def test_a_script_leaving_an_unstorable_value_fails_the_instance_at_start(client, auth, case):
    script, why = UNSTORABLE_SCRIPTS[case]
    deploy(client, auth["demo"], ("p.bpmn", one_script_process(f"before = 1\n{script}")))
    started = start(client, auth["demo"], "p")
    assert started.status_code == 201, started.get_data(as_text=True)[:300]
    assert_failed_at(started.json, "work", "x", why)
    # The failed instance was saved and reads back as valid JSON, without the value.
    read = client.get(f"/api/v1/process-instances/{started.json['id']}", headers=auth["demo"])
    assert read.status_code == 200 and json.loads(read.get_data(as_text=True))["state"] == "failed"
    assert "x" not in read.json["variables"]
    history = client.get(f"/api/v1/process-instances/{started.json['id']}/history", headers=auth["demo"])
    assert history.json[-1]["type"] == "instance_failed"


def test_a_script_after_a_task_fails_the_instance_on_completion(client, auth):
    body = ('<bpmn:startEvent id="start"/><bpmn:userTask id="ask"/>' + script_task("work", "x = []\nx.append(x)")
            + '<bpmn:endEvent id="end"/>' + flow("f1", "start", "ask") + flow("f2", "ask", "work")
            + flow("f3", "work", "end"))
    deploy(client, auth["demo"], ("p.bpmn", bpmn_document(body)))
    task = start(client, auth["demo"], "p").json["open_tasks"][0]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"variables": {"a": 1}}, headers=auth["demo"])
    assert done.status_code == 200
    assert_failed_at(done.json, "work", "x", "refers to itself")
    assert done.json["variables"] == {"a": 1}


def test_a_page_beyond_any_integer_is_a_400(client, auth):
    for query in ("page=9223372036854775808", "page=0", "per_page=100000", "page=abc"):
        answer = client.get(f"/api/v1/process-instances?{query}", headers=auth["demo"])
        assert answer.status_code == 400 and problem_type(answer) == "urn:fuse:problem:bad-request", query
        answer = client.get(f"/api/v1/tasks?{query}", headers=auth["demo"])
        assert answer.status_code == 400, query


def test_json_nested_five_thousand_deep_is_a_400_on_every_json_endpoint(client, auth):
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    # Real ids: an instance or task the caller may not read (or that does not exist) is a 404 before its body is read.
    deploy(client, auth["demo"], ("u.bpmn", user_task_process("u")))
    [task] = start(client, auth["demo"], "u").json["open_tasks"]
    for method, url, body in (
            ("post", "/api/v1/process-instances", '{"definition_key": "p", "variables": ' + deep + "}"),
            ("patch", f"/api/v1/process-instances/{task['process_instance_id']}/variables", deep),
            ("post", f"/api/v1/tasks/{task['id']}/complete", '{"variables": ' + deep + "}"),
            ("post", "/api/v1/messages", '{"name": "m", "variables": ' + deep + "}"),
            ("post", "/api/v1/external-tasks/fetch-and-lock", deep)):
        answer = getattr(client, method)(url, data=body, content_type="application/json", headers=auth["demo"])
        assert answer.status_code == 400, (url, answer.get_data(as_text=True)[:200])
        assert problem_type(answer) == "urn:fuse:problem:invalid-json"
        assert "nested too deeply" in answer.json["detail"]


def test_values_nested_deeper_than_the_limit_are_refused(client, auth):
    deploy(client, auth["demo"], ("u.bpmn", user_task_process("u")))
    deep: object = 1
    for _ in range(150):
        deep = [deep]
    answer = start(client, auth["demo"], "u", {"deep": deep})
    assert answer.status_code == 422 and problem_type(answer) == "urn:fuse:problem:invalid-value"
    assert "'deep'" in answer.json["detail"] and "nested" in answer.json["detail"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_and_never_stored(client, auth, constant):
    deploy(client, auth["demo"], ("u.bpmn", user_task_process("u")))
    answer = client.post("/api/v1/process-instances", content_type="application/json", headers=auth["demo"],
                         data=f'{{"definition_key": "u", "variables": {{"n": {constant}}}}}')
    assert answer.status_code == 400 and problem_type(answer) == "urn:fuse:problem:invalid-json"
    assert constant.lstrip("-") in answer.json["detail"]
    listed = client.get("/api/v1/process-instances", headers=auth["demo"])
    assert listed.status_code == 200 and listed.json["total"] == 0


def test_nan_from_a_script_is_never_stored(client, auth):
    deploy(client, auth["demo"], ("p.bpmn", one_script_process("n = float('inf') - float('inf')")))
    started = start(client, auth["demo"], "p")
    assert_failed_at(started.json, "work", "n", "not a JSON number")
    listed = client.get("/api/v1/process-instances", headers=auth["demo"])
    text = listed.get_data(as_text=True)
    assert listed.status_code == 200 and "NaN" not in text and json.loads(text)["total"] == 1


def test_a_nul_in_the_business_key_is_a_422(client, auth):
    deploy(client, auth["demo"], ("u.bpmn", user_task_process("u")))
    answer = start(client, auth["demo"], "u", business_key="order\x00-1")
    assert answer.status_code == 422 and problem_type(answer) == "urn:fuse:problem:invalid-value"
    assert "business_key" in answer.json["detail"]
    message = client.post("/api/v1/messages", json={"name": "m", "business_key": "a\x00"}, headers=auth["demo"])
    assert message.status_code == 422
    listed = client.get("/api/v1/process-instances?business_key=a%00b", headers=auth["demo"])
    assert listed.status_code == 400 and "NUL" in listed.json["detail"]


def test_a_nul_inside_a_variable_is_kept(client, auth):
    deploy(client, auth["demo"], ("u.bpmn", user_task_process("u")))
    started = start(client, auth["demo"], "u", {"raw": "a\x00b"})
    assert started.status_code == 201
    read = client.get(f"/api/v1/process-instances/{started.json['id']}/variables", headers=auth["demo"])
    assert read.json == {"raw": "a\x00b"}


def test_a_25_mb_variable_is_refused_on_every_way_in(client, auth):
    big = "x" * (25 * 1024 * 1024)
    deploy(client, auth["demo"], ("u.bpmn", user_task_process("u")))
    refused = start(client, auth["demo"], "u", {"big": big})
    assert refused.status_code == 413 and problem_type(refused) == "urn:fuse:problem:variable-too-large"
    assert "'big'" in refused.json["detail"] and "FUSE_MAX_VARIABLE_BYTES" in refused.json["detail"]
    instance = start(client, auth["demo"], "u", {"small": 1}).json
    url = f"/api/v1/process-instances/{instance['id']}"
    assert client.patch(f"{url}/variables", json={"big": big}, headers=auth["demo"]).status_code == 413
    task_url = f"/api/v1/tasks/{instance['open_tasks'][0]['id']}"
    completed = client.post(f"{task_url}/complete", json={"variables": {"big": big}}, headers=auth["demo"])
    assert completed.status_code == 413
    message = client.post("/api/v1/messages", json={"name": "m", "variables": {"big": big}}, headers=auth["demo"])
    assert message.status_code == 413
    assert client.get(f"{url}/variables", headers=auth["demo"]).json == {"small": 1}


def test_the_instance_total_has_a_limit_too(client, auth, monkeypatch):
    monkeypatch.setenv("FUSE_MAX_VARIABLES_BYTES", "100000")
    deploy(client, auth["demo"], ("u.bpmn", user_task_process("u")))
    instance = start(client, auth["demo"], "u", {"a": "x" * 60_000}).json
    url = f"/api/v1/process-instances/{instance['id']}/variables"
    grown = client.patch(url, json={"b": "y" * 60_000}, headers=auth["demo"])
    assert grown.status_code == 413 and "FUSE_MAX_VARIABLES_BYTES" in grown.json["detail"]
    assert client.patch(url, json={"b": "y" * 10_000}, headers=auth["demo"]).status_code == 200


def test_out_of_range_numbers_in_bodies_are_400(client, auth):
    failure = {"worker_id": "w", "retries": 10**30, "retry_timeout_ms": 10**30}
    answer = client.post("/api/v1/external-tasks/nobody/failure", json=failure, headers=auth["robot"])
    assert answer.status_code == 400 and set(answer.json["errors"]) == {"retries", "retry_timeout_ms"}
