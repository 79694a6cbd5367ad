"""Log lines: one JSON object each, naming the instance, activity and request they are about."""
from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from api.logs import JsonFormatter, TextFormatter, configure_logging
from engine.handlers.registry import register
from engine.telemetry.log_context import log_context
from helpers import bpmn_document, deploy, flow, one_script_process, start


@register("logs_shouting")
def shouting(inputs, context):
    logging.getLogger("acme.crm").info("looking up the customer")
    raise TimeoutError("the CRM did not answer")


@pytest.fixture
def restored_logging():
    """Whatever a test configures, the logging of the test run is as it was afterwards."""
    root, spiff = logging.getLogger(), logging.getLogger("spiff")
    saved = root.handlers[:], root.level, spiff.level
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    spiff.setLevel(saved[2])
    logging.captureWarnings(False)


@pytest.fixture
def log_lines(restored_logging):
    """Everything logged during the test, set up as `fuse serve` does; call it for the parsed lines."""
    stream = io.StringIO()
    configure_logging("json", "INFO", stream)
    return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_failing_instance_logs_its_start_and_failure_with_instance_and_request_ids(client, auth, log_lines):
    deploy(client, auth["demo"], ("broken.bpmn", one_script_process("x = 1 / 0", "broken")))
    response = start(client, auth["demo"], "broken")
    assert response.json["state"] == "failed"
    request_id = response.headers["X-Request-ID"]

    lines = log_lines()
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    ours = [line for line in lines if line.get("instance_id") == response.json["id"]]
    assert [(line["level"], line["message"].split(":")[0]) for line in ours] == [
        ("INFO", "instance started"), ("ERROR", "instance failed")]
    assert {line["request_id"] for line in ours} == {request_id}
    assert ours[1]["activity_id"] == "work" and "division by zero" in ours[1]["message"]
    assert {line["definition_key"] for line in ours} == {"broken"}


def test_a_handler_failure_logs_the_handler_and_what_it_logged_itself_names_the_activity(client, auth, log_lines):
    model = bpmn_document('<bpmn:startEvent id="start"/><bpmn:serviceTask id="lookup" camunda:class="logs_shouting"/>'
                          '<bpmn:endEvent id="end"/>' + flow("f1", "start", "lookup") + flow("f2", "lookup", "end"),
                          "crm")
    deploy(client, auth["demo"], ("crm.bpmn", model))
    instance = start(client, auth["demo"], "crm").json

    lines = [line for line in log_lines() if line.get("instance_id") == instance["id"]]
    by_logger = {line["logger"]: line for line in lines}
    assert by_logger["acme.crm"]["message"] == "looking up the customer"
    assert by_logger["acme.crm"]["activity_id"] == "lookup"
    failed = by_logger["fuse.handlers"]
    assert failed["level"] == "WARNING" and failed["handler"] == "logs_shouting"
    assert failed["activity_id"] == "lookup" and "TimeoutError: the CRM did not answer" in failed["message"]


def test_a_request_id_sent_by_the_caller_is_kept(client, auth, log_lines):
    deploy(client, auth["demo"], ("quick.bpmn", one_script_process("x = 1", "quick")))
    headers = {**auth["demo"], "X-Request-ID": "trace-42"}
    response = client.post("/api/v1/process-instances", json={"definition_key": "quick"}, headers=headers)
    assert response.headers["X-Request-ID"] == "trace-42"
    completed = [line for line in log_lines() if line["message"] == "instance completed"]
    assert [(line["instance_id"], line["request_id"]) for line in completed] == [(response.json["id"], "trace-42")]


def record(message: str, **extra) -> logging.LogRecord:
    item = logging.LogRecord("fuse.test", logging.WARNING, __file__, 1, message, None, None)
    item.__dict__.update(extra)
    return item


def test_a_line_stays_one_line_and_extra_fields_win_over_the_context():
    with log_context(instance_id="from-context", job_id="j-1"):
        try:
            raise ValueError("first\nsecond")
        except ValueError:
            item = record("two\nlines", instance_id="explicit")
            item.exc_info = sys.exc_info()
            line = JsonFormatter().format(item)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "two\nlines" and entry["instance_id"] == "explicit" and entry["job_id"] == "j-1"
    assert "ValueError: first" in entry["exception"]
    assert "request_id" not in entry


def test_text_format_puts_the_context_after_the_message():
    with log_context(instance_id="i-1", activity_id="a-1"):
        line = TextFormatter().format(record("handler failed", handler="charge"))
    assert line.endswith("WARNING fuse.test: handler failed instance_id=i-1 activity_id=a-1 handler=charge")


def test_configure_logging_reads_format_and_level_from_the_environment(monkeypatch, restored_logging):
    stream = io.StringIO()
    monkeypatch.setenv("FUSE_LOG_FORMAT", "text")
    monkeypatch.setenv("FUSE_LOG_LEVEL", "warning")
    configure_logging(stream=stream)
    logging.getLogger("fuse.test").info("not shown")
    logging.getLogger("fuse.test").warning("shown")
    assert stream.getvalue().strip().endswith("WARNING fuse.test: shown")
    monkeypatch.setenv("FUSE_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="FUSE_LOG_FORMAT"):
        configure_logging(stream=stream)
    monkeypatch.setenv("FUSE_LOG_FORMAT", "json")
    monkeypatch.setenv("FUSE_LOG_LEVEL", "chatty")
    with pytest.raises(ValueError, match="FUSE_LOG_LEVEL"):
        configure_logging(stream=stream)


def test_spiffworkflow_state_changes_stay_out_of_info_logs(client, auth, log_lines):
    deploy(client, auth["demo"], ("quick.bpmn", one_script_process("x = 1", "quick")))
    assert start(client, auth["demo"], "quick").json["state"] == "completed"
    assert [line["message"] for line in log_lines()] == ["instance started", "instance completed"]
