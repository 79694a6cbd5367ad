"""The ai-confidence-loop sample through the real server: a confident, allowed request handled automatically;
an unsure one reviewed by a person whose label is fed back; policy deny and step-up sent to review; a CRM that
fails (retries, then an incident and a retry); and the sample's external worker, which knows only the REST API."""
from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import SAMPLES

SAMPLE = SAMPLES / "ai-confidence-loop"
FILES = ["ai-confidence-loop.bpmn", "review.form", "auto-handling.policy.json", "classifier.onnx"]
WORKER = SAMPLE / "worker.py"
KEY = "ai_confidence_loop"
INSTANCES = "/api/v1/process-instances"
MODEL_VERSION = "classifier.onnx@" + hashlib.sha256((SAMPLE / "classifier.onnx").read_bytes()).hexdigest()[:12]
LABELS = ["refund", "technical", "billing", "other"]

CONFIDENT_REFUND = "I want a refund for my order, the item arrived broken"     # refund, ~0.97
CONFIDENT_TECHNICAL = "The app crashes every time I log in"                    # technical, ~0.92
AMBIGUOUS = "The invoice for my refund does not load in the app"               # technical, ~0.67
UNTRUSTED = "the session's trust score is below 20 (or unknown)"


def load_worker():
    """The sample's worker module (its folder name is not a package name)."""
    spec = importlib.util.spec_from_file_location("ai_confidence_loop_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeCrm:
    """GET /customers/<id> answers {"id", "tier": "gold"}; fails with 500 the next `fail_next` times, or always."""

    def __init__(self):
        crm = self
        self.fail_next, self.always_fail, self.requests = 0, False, []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server protocol
                crm.requests.append(self.path)
                if not self.path.startswith("/customers/"):
                    return self.answer(404, {"error": "no such resource"})
                if crm.always_fail or crm.fail_next > 0:
                    crm.fail_next = max(0, crm.fail_next - 1)
                    return self.answer(500, {"error": "the CRM database is unavailable"})
                return self.answer(200, {"id": self.path.rsplit("/", 1)[1], "tier": "gold"})

            def answer(self, status: int, body: dict) -> None:
                content = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def crm():
    fake = FakeCrm()
    yield fake
    fake.close()


@pytest.fixture
def other_crm():
    fake = FakeCrm()
    yield fake
    fake.close()


@pytest.fixture
def fuse(server, crm, tmp_path):
    """The server restarted with FUSE_FEEDBACK_PATH set to a copy of the sample's training data, the CRM's URL
    as the operator's setting and its host allowed, with a worker user (robot) and a support user (sam), and
    the sample deployed as one deployment."""
    feedback = tmp_path / "requests.csv"
    shutil.copyfile(SAMPLE / "requests.csv", feedback)
    server.env["FUSE_FEEDBACK_PATH"] = str(feedback)
    server.env["FUSE_SETTING_CRM_URL"] = crm.url
    server.env["FUSE_OUTBOUND_ALLOW"] = "127.0.0.1"  # the CRM runs beside the tests
    server.stop(kill=False)
    server.launch()  # boots while the two users are made
    server.add_users({"robot": ["worker"], "sam": ["support"]})
    server.wait_until_healthy()
    deployed = server.deploy(*[(name, (SAMPLE / name).read_bytes()) for name in FILES], name="ai-confidence-loop")
    assert deployed.status_code == 201, deployed.text
    assert deployed.json()["warnings"] == [], deployed.json()["warnings"]
    server.feedback_path = feedback
    return server


def request_variables(crm: FakeCrm, text: str, **changes) -> dict:
    return {"text": text, "customer": "C-42", "amount": 120.0,
            "user": {"roles": ["agent"], "mfa_level": 2}, "session": {"trust_score": 80, "ip": "10.0.0.7"},
            **changes}


def start(fuse, variables: dict) -> dict:
    response = fuse.start_instance(KEY, variables)
    assert response.status_code == 201, response.text
    return response.json()


def instance(fuse, instance_id: str) -> dict:
    response = fuse.get(f"{INSTANCES}/{instance_id}")
    assert response.status_code == 200, response.text
    return response.json()


def active(instance_json: dict) -> list[str]:
    return [a["activity_id"] for a in instance_json["active_activities"]]


def wait_for(what: str, probe, timeout: float = 15.0):
    """probe() until it gives something truthy (the embedded worker runs due jobs every 0.5 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := probe():
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def events(history: list[dict], kind: str, activity: str | None = None) -> list[dict]:
    return [e for e in history if e["type"] == kind and (activity is None or e["activity_id"] == activity)]


def send_replies(fuse) -> int:
    """The sample worker, in-process, against the server's REST API."""
    worker = load_worker()
    return worker.work_once(worker.FuseClient(fuse.base_url, fuse.tokens["robot"], "test-worker"))


def review_task(fuse, instance_json: dict) -> dict:
    assert active(instance_json) == ["review_request"], instance_json
    [task] = instance_json["open_tasks"]
    assert task["candidate_groups"] == ["support"] and task["form_key"].endswith("review.form"), task
    return task


def complete_review(fuse, task_id: str, label: str, user: str = "sam") -> dict:
    assert fuse.post(f"/api/v1/tasks/{task_id}/claim", user).status_code == 200
    response = fuse.post(f"/api/v1/tasks/{task_id}/complete", user, json={"variables": {"reviewed_label": label}})
    assert response.status_code == 200, response.text
    return response.json()


def assert_inference_recorded(history: list[dict], label: str) -> dict:
    [inference] = events(history, "ai_inference", "classify_request")
    data = inference["data"]
    assert data["provider"] == "sklearn" and data["model"] == MODEL_VERSION, data
    assert data["label"] == label and 0.0 <= data["confidence"] <= 1.0, data
    assert data["rationale"].startswith(f"{label} with probability") and MODEL_VERSION in data["rationale"], data
    assert "text" not in data  # the request's text is not copied into the inference record
    return data


def test_confident_allowed_request_is_handled_automatically_and_the_worker_sends_the_reply(fuse, crm):
    started = start(fuse, request_variables(crm, CONFIDENT_REFUND))
    assert started["state"] == "active" and active(started) == ["send_reply"], started
    variables = started["variables"]
    assert variables["tier"] == "gold" and crm.requests == ["/customers/C-42"]
    assert variables["label"] == "refund" and variables["confidence"] >= 0.8, variables
    assert variables["ai_model"] == MODEL_VERSION and variables["decision"] == "allow"
    assert variables["handled_by"] == "auto" and variables["resolution"] == "refund"
    assert started["open_tasks"] == []

    # The worker as an operator runs it: a process of its own, configured by the environment.
    env = {**os.environ, "FUSE_URL": fuse.base_url, "FUSE_TOKEN": fuse.tokens["robot"]}
    done = subprocess.run([sys.executable, str(WORKER), "--once"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"reply for instance {started['id']}: To C-42 (refund, handled automatically)" in done.stdout
    assert "1 reply sent" in done.stderr

    finished = instance(fuse, started["id"])
    assert finished["state"] == "completed" and finished["variables"]["reply_sent"] is True, finished

    history = fuse.history(started["id"])
    inference = assert_inference_recorded(history, "refund")
    assert inference["confidence"] == variables["confidence"]
    [policy] = events(history, "policy_evaluated", "check_policy")
    assert policy["data"]["policy"] == "auto-handling" and policy["data"]["decision"] == "allow"
    assert policy["data"]["matched"] == [{"id": "known-customer", "effect": "allow",
                                          "reason": "the CRM knows the customer as a gold or silver tier"}]
    [call] = events(history, "http_called", "look_up_customer")
    assert call["data"]["status"] == 200 and call["data"]["url"] == f"{crm.url}/customers/C-42"
    assert [e["data"]["topic"] for e in events(history, "external_task_created")] == ["send-reply"]
    [sent] = events(history, "external_task_completed", "send_reply")
    assert sent["actor"].startswith("send-reply@") and sent["data"]["variables"] == {"reply_sent": True}
    entered = [e["activity_id"] for e in events(history, "activity_entered")]
    assert "review_request" not in entered and entered[-1] == "request_handled"

    # Nothing left: a second run sends nothing; a token outside the worker group is refused.
    again = subprocess.run([sys.executable, str(WORKER), "--once", "--url", fuse.base_url,
                            "--token", fuse.tokens["robot"]], capture_output=True, text=True, timeout=60,
                           env={k: v for k, v in os.environ.items() if k not in ("FUSE_URL", "FUSE_TOKEN")})
    assert again.returncode == 0 and again.stdout == "" and "0 replies sent" in again.stderr
    refused = subprocess.run([sys.executable, str(WORKER), "--once"], capture_output=True, text=True, timeout=60,
                             env={**env, "FUSE_TOKEN": fuse.tokens["bob"]})
    assert refused.returncode == 1 and "403" in refused.stderr


def test_whoever_starts_a_request_cannot_choose_the_host_the_server_calls(fuse, crm, other_crm):
    # A start variable that names another host changes nothing: the CRM's URL is the operator's setting.
    started = start(fuse, request_variables(crm, CONFIDENT_REFUND, crm_url=other_crm.url))
    assert started["variables"]["tier"] == "gold" and crm.requests == ["/customers/C-42"]
    assert other_crm.requests == []


def test_unsure_request_is_reviewed_and_the_label_is_fed_back(fuse, crm):
    rows_before = fuse.feedback_path.read_text(encoding="utf-8").count("\n")
    started = start(fuse, request_variables(crm, AMBIGUOUS))
    assert started["variables"]["confidence"] < 0.8 and started["variables"]["decision"] == "allow", started
    task = review_task(fuse, started)

    form = fuse.get(f"/api/v1/tasks/{task['id']}/form", "sam")
    assert form.status_code == 200, form.text
    schema, data = form.json()["schema"], form.json()["data"]
    assert schema["required"] == ["reviewed_label"]
    assert sorted(schema["properties"]["reviewed_label"]["enum"]) == sorted(LABELS)
    assert data["text"] == AMBIGUOUS and data["label"] == started["variables"]["label"]
    assert data["confidence"] == started["variables"]["confidence"]
    assert data["rationale"] == started["variables"]["rationale"] and data["decision"] == "allow"

    # bob (sales, not support) may not read the instance: the task does not exist for him.
    assert fuse.post(f"/api/v1/tasks/{task['id']}/claim", "bob").status_code == 404
    assert fuse.post(f"/api/v1/tasks/{task['id']}/claim", "sam").status_code == 200
    refused = fuse.post(f"/api/v1/tasks/{task['id']}/complete", "sam", json={"variables": {}})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "/reviewed_label", refused.text
    wrong = fuse.post(f"/api/v1/tasks/{task['id']}/complete", "sam",
                      json={"variables": {"reviewed_label": "complaint"}})
    assert wrong.status_code == 422, wrong.text
    # A read-only field keeps the process's value whatever the form sends.
    reviewed = fuse.post(f"/api/v1/tasks/{task['id']}/complete", "sam",
                         json={"variables": {"reviewed_label": "billing", "label": "forged"}})
    assert reviewed.status_code == 200, reviewed.text
    after = reviewed.json()
    assert active(after) == ["send_reply"], after
    assert after["variables"]["handled_by"] == "person" and after["variables"]["resolution"] == "billing"
    assert after["variables"]["label"] == started["variables"]["label"]  # the model's label, kept
    assert after["variables"]["feedback_recorded"] is True

    # The labelled example is appended to the training CSV that train.py reads.
    with fuse.feedback_path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert rows[-1] == {"text": AMBIGUOUS, "label": "billing"}
    assert fuse.feedback_path.read_text(encoding="utf-8").count("\n") == rows_before + 1

    assert send_replies(fuse) == 1
    finished = instance(fuse, started["id"])
    assert finished["state"] == "completed" and finished["variables"]["reply_sent"] is True

    history = fuse.history(started["id"])
    assert_inference_recorded(history, started["variables"]["label"])
    [policy] = events(history, "policy_evaluated")
    assert policy["data"]["decision"] == "allow"
    [completed] = events(history, "task_completed", "review_request")
    assert completed["actor"] == "sam"
    [feedback] = events(history, "feedback_recorded", "record_feedback")
    assert feedback["data"] == {"label": "billing", "file": str(fuse.feedback_path)}


def test_policy_deny_and_step_up_send_even_a_confident_request_to_review(fuse, crm):
    low_trust = {"trust_score": 5, "ip": "203.0.113.9"}
    untrusted = start(fuse, request_variables(crm, CONFIDENT_TECHNICAL, session=low_trust))
    assert untrusted["variables"]["confidence"] >= 0.8  # confident, but the policy says no
    task = review_task(fuse, untrusted)
    assert untrusted["variables"]["decision"] == "deny"
    assert untrusted["variables"]["reasons"] == [UNTRUSTED, "the CRM knows the customer as a gold or silver tier"]
    form = fuse.get(f"/api/v1/tasks/{task['id']}/form", "sam").json()
    assert form["data"]["decision"] == "deny"

    history = fuse.history(untrusted["id"])
    [policy] = events(history, "policy_evaluated", "check_policy")
    assert policy["data"]["decision"] == "deny"
    assert {"id": "untrusted-session", "effect": "deny",
            "reason": UNTRUSTED} in policy["data"]["matched"]
    [thrown] = events(history, "bpmn_error_thrown", "check_policy")
    assert thrown["data"] == {"code": "POLICY_DENIED", "message": UNTRUSTED, "caught_by": "policy_denied"}
    assert_inference_recorded(history, "technical")
    assert "confident_gateway" not in [e["activity_id"] for e in events(history, "activity_entered")]

    after = complete_review(fuse, task["id"], "technical")
    assert after["variables"]["handled_by"] == "person" and active(after) == ["send_reply"]

    # A large amount without MFA level 2 asks for a step-up: a person looks at it instead.
    step_up = start(fuse, request_variables(crm, CONFIDENT_TECHNICAL, amount=900,
                                            user={"roles": ["agent"], "mfa_level": 1}))
    review_task(fuse, step_up)
    assert step_up["variables"]["decision"] == "step_up"
    assert step_up["variables"]["errorCode"] == "STEP_UP_REQUIRED"
    assert "amounts over 500 need MFA level 2" in step_up["variables"]["reasons"]

    # Refunds over 1000 are for the support team: denied for an agent, allowed for someone in support.
    agent = start(fuse, request_variables(crm, CONFIDENT_REFUND, amount=1500))
    review_task(fuse, agent)
    assert agent["variables"]["errorMessage"] == "refunds over 1000 are decided by the support team"
    supporter = start(fuse, request_variables(crm, CONFIDENT_REFUND, amount=1500,
                                              user={"roles": ["agent", "support"], "mfa_level": 2}))
    assert active(supporter) == ["send_reply"] and supporter["variables"]["handled_by"] == "auto", supporter

    assert send_replies(fuse) == 2  # the reviewed request and the supporter's
    assert instance(fuse, untrusted["id"])["state"] == "completed"
    assert instance(fuse, supporter["id"])["state"] == "completed"


def test_failing_crm_is_retried_then_an_incident_opens_and_a_retry_resolves_it(fuse, crm):
    # Two failures, then an answer: the embedded worker's retry jobs (0.2 s apart) carry the request on.
    crm.fail_next = 2
    flaky = start(fuse, request_variables(crm, CONFIDENT_REFUND))
    assert flaky["state"] == "active" and active(flaky) == ["look_up_customer"], flaky
    waiting = wait_for("the third try to succeed",
                       lambda: (i := instance(fuse, flaky["id"])) and active(i) == ["send_reply"] and i)
    assert waiting["variables"]["tier"] == "gold" and waiting["variables"]["handled_by"] == "auto"
    assert send_replies(fuse) == 1
    assert instance(fuse, flaky["id"])["state"] == "completed"

    history = fuse.history(flaky["id"])
    failures = events(history, "handler_failed", "look_up_customer")
    assert [f["data"]["attempt"] for f in failures] == [1, 2]
    assert all("answered 500" in f["data"]["error"] for f in failures), failures
    assert [e["data"]["status"] for e in events(history, "http_called")] == [500, 500, 200]
    [called] = events(history, "handler_called", "look_up_customer")
    assert called["data"]["attempt"] == 3
    assert events(history, "incident_opened") == []
    assert fuse.get(f"/api/v1/incidents?process_instance_id={flaky['id']}").json() == []

    # Failing every time: three tries (R3/PT0.2S), then an incident.
    crm.always_fail = True
    down = start(fuse, request_variables(crm, CONFIDENT_REFUND))
    incidents_url = f"/api/v1/incidents?process_instance_id={down['id']}"
    [incident] = wait_for("an incident", lambda: fuse.get(incidents_url).json())
    assert incident["activity_id"] == "look_up_customer" and incident["state"] == "open", incident
    assert "answered 500" in incident["error"] and "CRM database is unavailable" in incident["error"]
    history = fuse.history(down["id"])
    assert [f["data"]["attempt"] for f in events(history, "handler_failed", "look_up_customer")] == [1, 2, 3]
    assert len(events(history, "incident_opened", "look_up_customer")) == 1
    assert active(instance(fuse, down["id"])) == ["look_up_customer"]

    # Retrying is for admins; once the CRM is back, the retry runs the call and the flow goes on.
    assert fuse.post(f"/api/v1/incidents/{incident['id']}/retry", "alice").status_code == 403
    crm.always_fail = False
    retried = fuse.post(f"/api/v1/incidents/{incident['id']}/retry", "demo")
    assert retried.status_code == 200 and retried.json()["state"] == "resolved", retried.text
    [retry_event] = events(fuse.history(down["id"]), "incident_retried", "look_up_customer")
    assert retry_event["actor"] == "demo" and retry_event["data"] == {"incident_id": incident["id"]}
    resumed = instance(fuse, down["id"])
    assert active(resumed) == ["send_reply"] and resumed["variables"]["tier"] == "gold", resumed
    assert send_replies(fuse) == 1
    assert instance(fuse, down["id"])["state"] == "completed"
    assert fuse.get(incidents_url).json()[0]["state"] == "resolved"
    statuses = [e["data"]["status"] for e in events(fuse.history(down["id"]), "http_called")]
    assert statuses == [500, 500, 500, 200]
