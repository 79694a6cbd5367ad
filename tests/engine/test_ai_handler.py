"""The `ai` handler: a shipped scikit-learn model and a real local OpenAI-compatible HTTP server classify requests,
and each decision leaves its label, confidence, rationale and model version in the audit history."""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import joblib
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from engine.handlers.ai import handle
from engine.handlers.ai_feedback import append_labelled_example
from engine.handlers.allowed_hosts import OutboundRefused
from engine.handlers.base import HandlerContext
from engine.handlers.outbound import OutboundTimeout

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "ai-confidence-loop"
_train_spec = importlib.util.spec_from_file_location("ai_confidence_loop_train", SAMPLE / "train.py")
train = importlib.util.module_from_spec(_train_spec)
_train_spec.loader.exec_module(train)  # the sample's ONNX conversion (skl2onnx, a development dependency)
LABELS = ["refund", "technical", "billing", "other"]
OBVIOUS_REFUND = "The kettle arrived broken, I want a refund and my money back"


def context(files: dict[str, bytes] | None = None, **config) -> HandlerContext:
    """A task context whose deployment holds `files`."""
    files = files or {}

    def resource(name: str) -> bytes:
        if name not in files:
            raise KeyError(name)
        return files[name]

    return HandlerContext(instance_id="i-1", business_key="req-7", activity_id="classify", attempt=1,
                          config=config, resource=resource)


def shipped_model_context(**config) -> HandlerContext:
    files = {"classifier.onnx": (SAMPLE / "classifier.onnx").read_bytes()}
    return context(files, provider="sklearn", model="classifier.onnx", **config)


def model_file(model, feature_names: list[str] | None = None) -> bytes:
    """A fitted model as the ONNX file a deployment carries."""
    return train.onnx_bytes(model, feature_names)


def pickled(model) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


class CreatesAFile:
    """A pickle that, when loaded, creates the file `path` (where a real attack would run any command)."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


# --- sklearn provider ----------------------------------------------------------

def test_obvious_refund_request_is_classified_as_refund_and_audited():
    ctx = shipped_model_context()
    out = handle({"text": OBVIOUS_REFUND}, ctx)
    assert out["label"] == "refund"
    assert isinstance(out["confidence"], float) and out["confidence"] > 0.5
    assert out["model"].startswith("classifier.onnx@") and len(out["model"].split("@")[1]) == 12
    assert "'refund'" in out["rationale"]  # the rationale names the words that weighed most
    assert ctx.audit == [("ai_inference", {"provider": "sklearn", **out})]


def test_ambiguous_request_gets_lower_confidence_than_an_obvious_one():
    ctx = shipped_model_context()
    obvious = handle({"text": OBVIOUS_REFUND}, ctx)
    ambiguous = handle({"text": "Hello, about my order"}, ctx)
    assert ambiguous["confidence"] < obvious["confidence"]
    assert ambiguous["confidence"] < 0.7


def test_shipped_model_sorts_each_kind_of_request():
    ctx = shipped_model_context()
    texts = {"technical": "The app crashes every time I try to log in",
             "billing": "Why was I charged twice on my last invoice?",
             "other": "Do you have a shop in Madrid?"}
    assert {label: handle({"text": text}, ctx)["label"] for label, text in texts.items()} == {
        label: label for label in texts}


def test_retrained_model_file_gets_a_new_version_and_its_own_answers():
    shipped = (SAMPLE / "classifier.onnx").read_bytes()
    # A retrained model that learnt (wrongly) that talk of money back is "other".
    retrained = model_file(make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(
        ["I want my money back", "refund please", "the app crashes", "login error"],
        ["other", "other", "technical", "technical"]))
    before = handle({"text": OBVIOUS_REFUND}, context({"m.onnx": shipped}, provider="sklearn", model="m.onnx"))
    after = handle({"text": OBVIOUS_REFUND}, context({"m.onnx": retrained}, provider="sklearn", model="m.onnx"))
    assert before["model"] != after["model"]
    assert (before["label"], after["label"]) == ("refund", "other")
    again = handle({"text": OBVIOUS_REFUND}, context({"m.onnx": shipped}, provider="sklearn", model="m.onnx"))
    assert again["model"] == before["model"]


def test_inputs_win_over_task_configuration():
    ctx = shipped_model_context(text="The app crashes")
    assert handle({"text": OBVIOUS_REFUND}, ctx)["label"] == "refund"


def test_tabular_model_reads_named_features_in_its_order():
    # Orders over 500 placed by a new customer are "review", others "ok".
    rows = [[amount, new] for amount in (20, 80, 300, 600, 900, 1500) for new in (0, 1)]
    labels = ["review" if amount > 500 and new else "ok" for amount, new in rows]
    files = {"risk.onnx": model_file(LogisticRegression(C=100, max_iter=5000).fit(rows, labels),
                                     ["amount", "new_customer"])}
    ctx = context(files, provider="sklearn", model="risk.onnx", feature_names="amount, new_customer")
    out = handle({"features": {"new_customer": 1, "amount": 1400}}, ctx)
    assert out["label"] == "review"
    assert "'new_customer'" in out["rationale"] or "'amount'" in out["rationale"]
    assert handle({"features": {"new_customer": 0, "amount": 30}}, ctx)["label"] == "ok"
    with pytest.raises(ValueError, match="amount"):
        handle({"features": {"new_customer": 1}}, ctx)


def test_model_label_outside_allowed_labels_is_a_technical_failure():
    with pytest.raises(ValueError, match="not one of the allowed labels"):
        handle({"text": OBVIOUS_REFUND, "labels": "billing,other"}, shipped_model_context())


def test_missing_model_file_and_unknown_provider_fail_clearly():
    with pytest.raises(KeyError, match="absent.onnx"):
        handle({"text": "x"}, context(provider="sklearn", model="absent.onnx"))
    with pytest.raises(ValueError, match="unknown provider 'magic'"):
        handle({"text": "x"}, context(provider="magic"))
    with pytest.raises(ValueError, match="not a loadable model file"):
        handle({"text": "x"}, context({"bad.onnx": b"not a model"}, provider="sklearn", model="bad.onnx"))


# --- pickles: only from the operator's folder --------------------------------------

def test_a_pickle_in_the_deployment_is_never_loaded(tmp_path, monkeypatch):
    monkeypatch.delenv("FUSE_TRUSTED_MODEL_DIR", raising=False)
    marker = tmp_path / "pwned"
    ctx = context({"evil.joblib": pickled(CreatesAFile(marker))}, provider="sklearn", model="evil.joblib")
    with pytest.raises(ValueError, match="FUSE_TRUSTED_MODEL_DIR"):
        handle({"text": "x"}, ctx)
    monkeypatch.setenv("FUSE_TRUSTED_MODEL_DIR", str(tmp_path / "models"))  # set, but the file is not there
    with pytest.raises(ValueError, match="cannot read evil.joblib"):
        handle({"text": "x"}, ctx)
    assert not marker.exists()


def test_a_pickle_from_the_operators_folder_still_classifies(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    estimator = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(
        ["I want my money back", "refund please", "the app crashes", "login error"],
        ["refund", "refund", "technical", "technical"])
    (folder / "local.joblib").write_bytes(pickled(estimator))
    monkeypatch.setenv("FUSE_TRUSTED_MODEL_DIR", str(folder))
    out = handle({"text": "refund my money"}, context(provider="sklearn", model="local.joblib"))
    assert out["label"] == "refund" and out["model"].startswith("local.joblib@")
    with pytest.raises(ValueError, match="not a plain file name"):
        handle({"text": "x"}, context(provider="sklearn", model="../models/local.joblib"))


# --- openai provider, against a real local HTTP server ----------------------------

@pytest.fixture(autouse=True)
def local_servers_allowed(monkeypatch):
    """The chat server listens on 127.0.0.1, which the operator's allow-list must name to be reachable."""
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "127.0.0.1")


def test_a_chat_endpoint_the_operator_does_not_allow_is_not_called(chat_server, monkeypatch):
    monkeypatch.delenv("FUSE_OUTBOUND_ALLOW")
    with pytest.raises(OutboundRefused, match="FUSE_OUTBOUND_ALLOW"):
        handle({"text": OBVIOUS_REFUND}, chat_context(chat_server))
    assert chat_server.requests == []


class ChatServer:
    """An OpenAI-compatible /v1/chat/completions endpoint on 127.0.0.1 that answers what the test sets."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status, self.content, self.delay = 200, "{}", 0.0
        self.release = threading.Event()  # ends a delayed answer early when the test finishes
        server = self

        class Endpoint(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                server.release.wait(server.delay)
                payload = {"id": "chatcmpl-1", "object": "chat.completion", "model": body.get("model"),
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": server.content}}]}
                reply = json.dumps(payload if server.status == 200 else {"error": "model crashed"}).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                try:
                    self.wfile.write(reply)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def answer(self, label, confidence, rationale="because"):
        self.content = json.dumps({"label": label, "confidence": confidence, "rationale": rationale})


@pytest.fixture
def chat_server():
    server = ChatServer()
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.httpd.shutdown()
    server.httpd.server_close()


def chat_context(server: ChatServer, **config) -> HandlerContext:
    return context(provider="openai", base_url=server.base_url, model_name="llama3.2:1b", labels=LABELS, **config)


def test_chat_model_is_asked_in_json_mode_and_its_answer_is_parsed_and_audited(chat_server):
    chat_server.answer("refund", 0.92, "The customer asks for their money back for a broken item.")
    ctx = chat_context(chat_server)
    out = handle({"text": OBVIOUS_REFUND}, ctx)
    assert out == {"label": "refund", "confidence": 0.92, "model": "llama3.2:1b",
                   "rationale": "The customer asks for their money back for a broken item."}
    assert ctx.audit == [("ai_inference", {"provider": "openai", **out})]
    (sent,) = chat_server.requests
    assert sent["path"] == "/v1/chat/completions"
    assert sent["body"]["model"] == "llama3.2:1b"
    assert sent["body"]["response_format"] == {"type": "json_object"}
    messages = sent["body"]["messages"]
    assert any(OBVIOUS_REFUND in m["content"] for m in messages if m["role"] == "user")
    system = next(m["content"] for m in messages if m["role"] == "system")
    assert all(label in system for label in LABELS) and '"confidence"' in system and '"rationale"' in system
    assert "Authorization" not in sent["headers"]  # a local server needs no key


def test_api_key_comes_from_a_secret_and_stays_out_of_the_history(chat_server, monkeypatch):
    monkeypatch.setenv("FUSE_SECRET_LLM_KEY", "sk-test-123")
    chat_server.answer("billing", 0.7)
    ctx = chat_context(chat_server, api_key_secret="llm_key", system_prompt="You sort customer e-mails.")
    handle({"text": "Why is my bill so high?"}, ctx)
    sent = chat_server.requests[0]
    assert sent["headers"]["Authorization"] == "Bearer sk-test-123"
    assert sent["body"]["messages"][0]["content"].startswith("You sort customer e-mails.")
    assert "sk-test-123" not in json.dumps(ctx.audit)


def test_chat_model_label_outside_allowed_labels_is_a_technical_failure(chat_server):
    chat_server.answer("lottery", 0.99)
    ctx = chat_context(chat_server)
    with pytest.raises(ValueError, match="'lottery' is not one of the allowed labels"):
        handle({"text": OBVIOUS_REFUND}, ctx)
    assert ctx.audit == []


@pytest.mark.parametrize("confidence", [1.5, -0.1, "very", None])
def test_chat_model_confidence_outside_0_to_1_is_a_technical_failure(chat_server, confidence):
    chat_server.answer("refund", confidence)
    with pytest.raises(ValueError, match="confidence"):
        handle({"text": OBVIOUS_REFUND}, chat_context(chat_server))


def test_chat_model_answer_that_is_not_json_is_a_technical_failure(chat_server):
    chat_server.content = "I think it is a refund."
    with pytest.raises(ValueError, match="did not answer JSON"):
        handle({"text": OBVIOUS_REFUND}, chat_context(chat_server))


def test_chat_server_error_is_a_technical_failure(chat_server):
    chat_server.status = 500
    with pytest.raises(RuntimeError, match="answered 500"):
        handle({"text": OBVIOUS_REFUND}, chat_context(chat_server))


def test_slow_chat_server_times_out_after_timeout_s(chat_server):
    chat_server.answer("refund", 0.9)
    chat_server.delay = 5.0
    started = time.monotonic()
    with pytest.raises(OutboundTimeout):
        handle({"text": OBVIOUS_REFUND, "timeout_s": 0.3}, chat_context(chat_server))
    assert time.monotonic() - started < 2.0


# --- the human review's decision, fed back ----------------------------------------

def examples(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_reviewed_decision_is_appended_as_a_labelled_example(tmp_path):
    dataset = tmp_path / "requests.csv"
    dataset.write_text((SAMPLE / "requests.csv").read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    shipped_rows = len(examples(dataset))
    append_labelled_example(dataset, 'Charged "twice", then refunded once,\nplease check', "billing")
    rows = examples(dataset)
    assert len(rows) == shipped_rows + 1
    assert rows[-1] == {"text": 'Charged "twice", then refunded once,\nplease check', "label": "billing"}
    with pytest.raises(ValueError, match="label"):
        append_labelled_example(dataset, "some text", " ")


def test_first_labelled_example_creates_the_dataset_with_its_header(tmp_path):
    dataset = tmp_path / "new.csv"
    append_labelled_example(dataset, "Where is my parcel?", "other")
    assert dataset.read_text(encoding="utf-8") == "text,label\nWhere is my parcel?,other\n"
