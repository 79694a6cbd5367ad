"""The `http` and `notify` handlers against real local servers: an HTTP server that records what it is sent and
answers as told, and a small SMTP server that keeps the emails it accepts. Secrets reach the servers and
nothing else: not the outputs, the history, the errors or the logs."""
from __future__ import annotations

import base64
import email
import email.policy
import json
import logging
import socketserver
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from engine.handlers.base import BpmnError, HandlerContext
from engine.handlers.http import HttpCallFailed
from engine.handlers.http import handle as http_call
from engine.handlers.notify import NotificationFailed
from engine.handlers.notify import handle as notify

API_KEY = "s3cr3t-Api-Key+/=value"
SMTP_PASSWORD = "smtp-pa55word-never-shown"


def context(**config) -> HandlerContext:
    return HandlerContext(instance_id="i-1", business_key="order-7", activity_id="call", attempt=1, config=config)


def everything_kept(outputs, ctx: HandlerContext) -> str:
    """All a handler leaves behind, as text."""
    return json.dumps(outputs, default=str) + json.dumps(ctx.audit, default=str)


# --- a real HTTP server ----------------------------------------------------------

@dataclass
class Reply:
    status: int = 200
    body: object = None
    content_type: str = "application/json"
    delay_s: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes


@dataclass
class FakeService:
    base_url: str
    received: list[Received] = field(default_factory=list)
    replies: dict[str, Reply] = field(default_factory=dict)

    def reply(self, path: str, **reply) -> str:
        """Answer `path` so; its URL."""
        self.replies[path] = Reply(**reply)
        return self.base_url + path


def _request_handler(service: FakeService):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            service.received.append(Received(self.command, url.path, parse_qs(url.query), dict(self.headers),
                                             self.rfile.read(length)))
            reply = service.replies.get(url.path, Reply(404, {"error": "no such path"}))
            time.sleep(reply.delay_s)
            if reply.body == "echo headers":
                content = json.dumps({"you_sent": dict(self.headers)}).encode()
            elif isinstance(reply.body, str):
                content = reply.body.encode()
            else:
                content = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("ETag", '"v7"')
                self.end_headers()
                self.wfile.write(content)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def service():
    fake = FakeService("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _request_handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()  # quick to stop
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def local_servers_allowed(monkeypatch):
    """The test servers listen on 127.0.0.1, which the operator's allow-list must name to be reachable."""
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "127.0.0.1")


@pytest.fixture
def api_key(monkeypatch):
    monkeypatch.setenv("FUSE_SECRET_API_KEY", API_KEY)
    return API_KEY


# --- a minimal SMTP server -------------------------------------------------------

@dataclass
class Mailbox:
    messages: list[dict] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


def _smtp_handler(mailbox: Mailbox):
    class Handler(socketserver.StreamRequestHandler):
        """Just enough SMTP for smtplib: EHLO (offering AUTH PLAIN), AUTH, MAIL, RCPT, DATA, QUIT."""

        def say(self, line: str):
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self):
            self.say("220 fake-smtp ready")
            envelope = {"from": None, "to": []}
            for raw in self.rfile:
                command = raw.decode().rstrip("\r\n")
                verb = command.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    self.say("250-fake-smtp")
                    self.say("250 AUTH PLAIN")
                elif verb == "AUTH":
                    mailbox.logins.append(base64.b64decode(command.split()[-1]).decode())
                    self.say("235 2.7.0 accepted")
                elif verb == "MAIL":
                    envelope = {"from": command.split(":", 1)[1].strip(" <>"), "to": []}
                    self.say("250 OK")
                elif verb == "RCPT":
                    envelope["to"].append(command.split(":", 1)[1].strip(" <>"))
                    self.say("250 OK")
                elif verb == "DATA":
                    self.say("354 end with <CRLF>.<CRLF>")
                    lines = []
                    for line in self.rfile:
                        if line == b".\r\n":
                            break
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    raw_message = b"".join(lines).replace(b"\r\n", b"\n")  # the wire uses CRLF
                    message = email.message_from_bytes(raw_message, policy=email.policy.default)
                    mailbox.messages.append({**envelope, "message": message})
                    self.say("250 queued")
                elif verb == "QUIT":
                    self.say("221 bye")
                    return
                else:
                    self.say("250 OK")

    return Handler


@pytest.fixture
def mailbox(monkeypatch):
    box = Mailbox()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _smtp_handler(box))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("FUSE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FUSE_SMTP_PORT", str(server.server_address[1]))
    for name in ("FUSE_SMTP_USER", "FUSE_SMTP_STARTTLS", "FUSE_SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    yield box
    server.shutdown()
    server.server_close()


# --- http --------------------------------------------------------------------------

def test_get_sends_query_and_headers_and_gives_back_the_json_answer(service):
    url = service.reply("/customers", body={"customers": [{"id": 7, "name": "Ada"}]})
    ctx = context()
    out = http_call({"url": url, "query": {"country": "{customer.country}", "limit": 5},
                     "headers": {"Accept-Language": "{lang}"}, "customer": {"country": "NL"}, "lang": "nl"}, ctx)
    sent = service.received[0]
    assert (sent.method, sent.query) == ("GET", {"country": ["NL"], "limit": ["5"]})
    assert sent.headers["Accept-Language"] == "nl"
    assert out["status"] == 200
    assert out["body"] == {"customers": [{"id": 7, "name": "Ada"}]}
    assert out["headers"]["ETag"] == '"v7"'
    [(event, data)] = ctx.audit
    assert event == "http_called"
    assert data["method"] == "GET" and data["status"] == 200 and data["duration_ms"] >= 0
    assert data["url"] == f"{url}?country=NL&limit=5"


def test_post_sends_a_json_body_templated_from_variables(service):
    service.reply("/orders/A%2F7/refunds", status=201, body={"refund_id": "r-1"})
    out = http_call({"method": "post", "url": service.base_url + "/orders/{order.id}/refunds",
                     "body": {"amount": "{order.amount}", "note": "refund for {order.id} {{ok}}",
                              "lines": ["{order.lines.0}"]},
                     "order": {"id": "A/7", "amount": 12.5, "lines": [{"sku": "kettle"}]}}, context())
    sent = service.received[0]
    assert sent.method == "POST"
    assert sent.path == "/orders/A%2F7/refunds"  # a variable cannot add a path segment
    assert sent.headers["Content-Type"] == "application/json"
    # A string that is one placeholder keeps the variable's type; `{{ }}` are literal braces.
    assert json.loads(sent.body) == {"amount": 12.5, "note": "refund for A/7 {ok}", "lines": [{"sku": "kettle"}]}
    assert out["status"] == 201 and out["body"] == {"refund_id": "r-1"}


def test_settings_come_from_the_task_configuration_when_inputs_lack_them(service):
    url = service.reply("/ping", body="pong", content_type="text/plain")
    ctx = context(url=url, method="PUT", headers='{"X-Tenant": "{tenant}"}', body='{"ping": true}')
    out = http_call({"tenant": "acme"}, ctx)
    sent = service.received[0]
    assert (sent.method, sent.headers["X-Tenant"], json.loads(sent.body)) == ("PUT", "acme", {"ping": True})
    assert out["body"] == "pong"  # text when the answer is not JSON


def test_secret_in_a_header_reaches_the_server_but_not_outputs_history_or_errors(service, api_key):
    url = service.reply("/echo", body="echo headers")
    ctx = context()
    out = http_call({"url": url + "?key={secret:API_KEY}", "headers": {"Authorization": "Bearer {secret:API_KEY}"}},
                    ctx)
    assert service.received[0].headers["Authorization"] == f"Bearer {api_key}"
    assert service.received[0].query["key"] == [api_key]
    assert api_key not in everything_kept(out, ctx)
    assert out["body"]["you_sent"]["Authorization"] == "Bearer ***"  # even when the server echoes it back
    assert ctx.audit[0][1]["url"].endswith("?key=***")

    service.reply("/echo", status=502, body="echo headers")
    with pytest.raises(HttpCallFailed) as failure:
        http_call({"url": url, "headers": {"X-Api-Key": "{secret:API_KEY}"}}, ctx)
    assert failure.value.status == 502
    assert api_key not in str(failure.value)


def test_secret_stays_out_of_the_error_when_the_server_cannot_be_reached(api_key):
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as closed:
        port = closed.server_address[1]  # free now, and nobody listens once the block ends
    ctx = context()
    with pytest.raises(HttpCallFailed) as failure:
        http_call({"url": f"http://127.0.0.1:{port}/x", "query": {"token": "{secret:API_KEY}"}}, ctx)
    assert failure.value.status is None
    assert "ConnectionError" in str(failure.value)
    assert api_key not in str(failure.value)
    assert failure.value.__cause__ is None and failure.value.__context__ is None  # no chained original


def test_secret_is_masked_in_what_urllib3_logs(service, api_key, caplog):
    url = service.reply("/items", body=[])
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        http_call({"url": url, "query": {"key": "{secret:API_KEY}"}}, context())
    assert any("/items?key=***" in record.getMessage() for record in caplog.records)
    assert api_key not in caplog.text


def test_a_listed_error_status_raises_the_bpmn_error_with_the_status(service):
    url = service.reply("/customers/9", status=404, body={"error": "unknown customer"})
    ctx = context(error_statuses="404,409")
    with pytest.raises(BpmnError) as error:
        http_call({"url": url}, ctx)
    assert error.value.code == "HTTP_404"
    assert error.value.variables == {"status": 404, "body": {"error": "unknown customer"}}
    assert ctx.audit[0][1]["status"] == 404  # the call is in the history all the same


def test_an_unlisted_server_error_is_a_technical_failure(service):
    url = service.reply("/orders", status=500, body={"error": "database down"})
    with pytest.raises(HttpCallFailed) as failure:
        http_call({"url": url, "error_statuses": [404]}, context())
    assert not isinstance(failure.value, BpmnError)
    assert failure.value.status == 500 and "database down" in str(failure.value)


def test_a_slow_server_is_given_up_after_the_timeout(service):
    url = service.reply("/slow", body={}, delay_s=2)
    began = time.perf_counter()
    with pytest.raises(HttpCallFailed, match="Timeout"):
        http_call({"url": url, "timeout_s": 0.3}, context())
    assert time.perf_counter() - began < 1.5


def test_result_picks_values_out_of_the_answer(service):
    url = service.reply("/orders", status=201, body={"order": {"id": "o-9"}})
    out = http_call({"url": url, "method": "POST", "result": "order_id=body.order.id, etag=headers.etag, "
                                                             "code=status, missing=body.nope"}, context())
    assert out == {"order_id": "o-9", "etag": '"v7"', "code": 201, "missing": None}


def test_a_call_without_a_url_or_with_a_missing_variable_is_refused_before_sending(service):
    with pytest.raises(ValueError, match="url"):
        http_call({}, context())
    with pytest.raises(ValueError, match=r"\{customer.id\}"):
        http_call({"url": service.base_url + "/c/{customer.id}", "customer": {}}, context())
    assert service.received == []


# --- notify: email -----------------------------------------------------------------

def test_email_arrives_with_templated_subject_body_and_recipients(mailbox):
    ctx = context(channel="email", subject="Refund {refund.id} approved")
    out = notify({"to": ["{customer.email}", "finance@example.com"], "body": "Dear {customer.name},\n"
                  "we refund {refund.amount} EUR.\n.\nRegards", "customer": {"email": "ada@example.com",
                  "name": "Ada"}, "refund": {"id": "r-1", "amount": 12.5}}, ctx)
    [delivered] = mailbox.messages
    message = delivered["message"]
    assert delivered["to"] == ["ada@example.com", "finance@example.com"]
    assert delivered["from"] == "fuse@localhost"
    assert message["Subject"] == "Refund r-1 approved"
    assert message.get_content() == "Dear Ada,\nwe refund 12.5 EUR.\n.\nRegards\n"
    assert out == {"sent": True, "channel": "email", "message_id": message["Message-ID"]}
    [(event, data)] = ctx.audit
    assert event == "notification_sent"
    assert data == {"channel": "email", "to": ["ada@example.com", "finance@example.com"],
                    "subject": "Refund r-1 approved", "message_id": message["Message-ID"]}


def test_email_login_uses_the_smtp_password_secret_without_keeping_it(mailbox, monkeypatch):
    monkeypatch.setenv("FUSE_SMTP_USER", "fuse")
    monkeypatch.setenv("FUSE_SECRET_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("FUSE_SMTP_FROM", "Fuse <noreply@shop.example>")
    ctx = context()
    out = notify({"channel": "email", "to": "ops@example.com, lead@example.com", "subject": "Hi", "body": "x"}, ctx)
    assert mailbox.logins == [f"\0fuse\0{SMTP_PASSWORD}"]
    assert mailbox.messages[0]["from"] == "noreply@shop.example"
    assert mailbox.messages[0]["to"] == ["ops@example.com", "lead@example.com"]
    assert out["message_id"].endswith("@shop.example>")
    assert SMTP_PASSWORD not in everything_kept(out, ctx)


def test_email_to_an_unreachable_server_is_a_technical_failure(monkeypatch):
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as closed:
        port = closed.server_address[1]
    monkeypatch.setenv("FUSE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FUSE_SMTP_PORT", str(port))
    with pytest.raises(NotificationFailed, match=f"127.0.0.1:{port}"):
        notify({"channel": "email", "to": "a@example.com", "subject": "s", "body": "b"}, context())


# --- notify: webhook ---------------------------------------------------------------

def test_webhook_post_arrives_with_the_templated_payload(service, api_key):
    url = service.reply("/hooks/refunds", status=204, body="")
    ctx = context(channel="webhook", url=url,
                  payload='{"text": "Refund {refund.id} approved", "amount": "{refund.amount}"}')
    out = notify({"refund": {"id": "r-1", "amount": 12.5}, "headers": {"X-Signature": "{secret:API_KEY}"}}, ctx)
    sent = service.received[0]
    assert sent.method == "POST" and sent.path == "/hooks/refunds"
    assert json.loads(sent.body) == {"text": "Refund r-1 approved", "amount": 12.5}
    assert sent.headers["X-Signature"] == api_key
    assert out == {"sent": True, "channel": "webhook", "status": 204}
    assert ctx.audit == [("notification_sent", {"channel": "webhook", "url": url, "status": 204})]
    assert api_key not in everything_kept(out, ctx)


def test_webhook_answering_500_is_a_technical_failure(service):
    url = service.reply("/hooks/down", status=500, body={"error": "busy"})
    ctx = context()
    with pytest.raises(NotificationFailed, match="500"):
        notify({"channel": "webhook", "url": url, "payload": {"text": "hi"}}, ctx)
    assert ctx.audit == []  # nothing was sent, so nothing is recorded as sent


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="unknown channel 'sms'"):
        notify({"channel": "sms"}, context())
