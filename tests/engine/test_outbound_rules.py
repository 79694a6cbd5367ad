"""What a model can make the server call, against real local HTTP servers: only hosts the operator lists (the
server's own network only when listed, also after a redirect or a second DNS answer), within one deadline for
the whole call, up to a size; and only the secrets the operator configured for handlers."""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine.handlers.allowed_hosts import AllowList
from engine.handlers.base import HandlerContext
from engine.handlers.http import HttpCallFailed
from engine.handlers.http import handle as http_call
from engine.handlers.notify import handle as notify

MIB = 1024 * 1024


class Server:
    """A real HTTP server on 127.0.0.1 that records the paths it is asked for and answers per path."""

    def __init__(self):
        self.paths: list[str] = []
        self.routes: dict[str, callable] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - the http.server protocol
                server.paths.append(self.path)
                route = server.routes.get(self.path.split("?")[0], Server.json_ok)
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    @staticmethod
    def json_ok(handler) -> None:
        Server.send(handler, 200, json.dumps({"ok": True}).encode(), "application/json")

    @staticmethod
    def send(handler, status: int, content: bytes, content_type: str = "text/plain", **headers) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(content)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(content)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


@pytest.fixture
def other_server():
    running = Server()
    yield running
    running.close()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("FUSE_OUTBOUND_ALLOW", "FUSE_OUTBOUND_DEADLINE_S", "FUSE_OUTBOUND_MAX_BYTES", "FUSE_SECRETS_FILE"):
        monkeypatch.delenv(name, raising=False)


def context(**config) -> HandlerContext:
    return HandlerContext(instance_id="i-1", business_key=None, activity_id="call", attempt=1, config=config)


# --- which hosts ---------------------------------------------------------------------

def test_the_servers_own_address_is_refused_unless_the_operator_lists_it(server, monkeypatch):
    with pytest.raises(HttpCallFailed, match="FUSE_OUTBOUND_ALLOW lists no host"):
        http_call({"url": server.url + "/admin"}, context())
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "api.example.com,*.corp.example")
    with pytest.raises(HttpCallFailed, match=r"127\.0\.0\.1:\d+ is not in FUSE_OUTBOUND_ALLOW"):
        http_call({"url": server.url + "/admin"}, context())
    assert server.paths == []  # refused before anything was sent

    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", f"api.example.com, 127.0.0.1:{server.port}")
    assert http_call({"url": server.url + "/ok"}, context())["status"] == 200
    assert server.paths == ["/ok"]


def test_a_wildcard_reaches_public_addresses_only(server, monkeypatch):
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "*")
    for url in (server.url, f"http://localhost:{server.port}", f"http://0.0.0.0:{server.port}",
                f"http://[::ffff:127.0.0.1]:{server.port}"):
        with pytest.raises(HttpCallFailed, match="loopback, private or link-local"):
            http_call({"url": url + "/admin"}, context())
    assert server.paths == []


def test_a_listed_port_allows_that_port_only(server, other_server, monkeypatch):
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", f"127.0.0.1:{server.port}")
    with pytest.raises(HttpCallFailed, match="does not allow"):
        http_call({"url": other_server.url + "/x"}, context())
    assert other_server.paths == []


def test_a_redirect_to_a_host_not_listed_is_refused(server, other_server, monkeypatch):
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", f"127.0.0.1:{server.port}")
    server.routes["/go"] = lambda h: Server.send(h, 302, b"", Location=f"{other_server.url}/admin")
    server.routes["/stay"] = lambda h: Server.send(h, 307, b"", Location="/ok")
    with pytest.raises(HttpCallFailed, match="does not allow"):
        http_call({"url": server.url + "/go"}, context())
    assert other_server.paths == []
    # A redirect within what is allowed is followed; the history names the URL the model asked for.
    ctx = context()
    assert http_call({"url": server.url + "/stay"}, ctx)["body"] == {"ok": True}
    assert server.paths[-2:] == ["/stay", "/ok"] and ctx.audit[0][1]["url"] == server.url + "/stay"


def test_a_name_is_resolved_once_and_the_checked_address_is_the_one_called(server, monkeypatch):
    # DNS rebinding: the name answers a public address for the check, then the server's own for the connection.
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "*")
    with pytest.raises(HttpCallFailed):
        http_call({"url": f"http://rebind.test:{server.port}/admin", "timeout_s": 1}, context())
    assert server.paths == []


def test_notify_webhooks_keep_the_same_rules(server, monkeypatch):
    with pytest.raises(HttpCallFailed, match="FUSE_OUTBOUND_ALLOW"):
        notify({"channel": "webhook", "url": server.url + "/hook", "payload": {"x": 1}}, context())
    assert server.paths == []


def test_allow_list_entries_are_read_as_documented():
    allow = AllowList.parse("api.example.com, *.corp.example, 10.1.2.3:8443, 192.168.0.0/16, [::1]:8080")
    assert [entry.names("api.example.com") for entry in allow.entries][:2] == [True, False]
    assert allow.entries[1].names("a.b.corp.example") and not allow.entries[1].names("corp.example")
    assert allow.entries[2].port == 8443 and allow.entries[4].port == 8080
    with pytest.raises(ValueError, match="no valid port"):
        AllowList.parse("10.1.2.3:http")


# --- how long, how much ---------------------------------------------------------------

def drip(handler) -> None:
    """Headers at once, then one byte a second for a minute."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", "60")
    handler.end_headers()
    for _ in range(60):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(1)


def drip_headers(handler) -> None:
    """The status line and then one header line a second, forever (for a minute)."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for number in range(60):
        handler.wfile.write(f"X-Slow-{number}: 1\r\n".encode())
        handler.wfile.flush()
        time.sleep(1)


@pytest.mark.parametrize("route", [drip, drip_headers])
def test_a_slow_drip_is_cut_at_the_deadline(server, monkeypatch, route):
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "127.0.0.1")
    monkeypatch.setenv("FUSE_OUTBOUND_DEADLINE_S", "3")
    server.routes["/drip"] = route
    began = time.monotonic()
    with pytest.raises(HttpCallFailed, match="within 3 s"):
        http_call({"url": server.url + "/drip", "timeout_s": 20}, context())  # the operator's cap wins
    assert 2.0 <= time.monotonic() - began <= 4.0


def test_the_tasks_timeout_bounds_the_whole_call_too(server, monkeypatch):
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "127.0.0.1")
    server.routes["/drip"] = drip
    began = time.monotonic()
    with pytest.raises(HttpCallFailed, match="Timeout"):
        http_call({"url": server.url + "/drip", "timeout_s": 2}, context())
    assert 1.0 <= time.monotonic() - began <= 3.0


def big_json(handler) -> None:
    Server.send(handler, 200, b'{"blob": "' + b"a" * (2 * MIB) + b'"}', "application/json")


def big_chunked(handler) -> None:
    """2 MiB without a Content-Length: the size shows only while reading."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for _ in range(32):
        piece = b"b" * 65536
        handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    handler.wfile.write(b"0\r\n\r\n")


@pytest.mark.parametrize("route", [big_json, big_chunked])
def test_an_answer_over_the_size_cap_fails_and_sets_no_variable(server, monkeypatch, route):
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "127.0.0.1")
    server.routes["/big"] = route
    with pytest.raises(HttpCallFailed, match=f"more than the {MIB} bytes allowed"):
        http_call({"url": server.url + "/big"}, context())
    monkeypatch.setenv("FUSE_OUTBOUND_MAX_BYTES", str(4 * MIB))  # the operator may allow more
    assert http_call({"url": server.url + "/big"}, context())["status"] == 200


# --- secrets ---------------------------------------------------------------------------

def test_a_secret_is_never_an_arbitrary_environment_variable(server, monkeypatch):
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "127.0.0.1")
    monkeypatch.setenv("FUSE_DATABASE_URL", "postgresql://fuse:db-password@db/fuse")
    monkeypatch.setenv("HOME_TOKEN", "not-for-models")
    for name in ("FUSE_DATABASE_URL", "HOME_TOKEN", "fuse_database_url"):
        with pytest.raises(KeyError, match=f"secret {name} is not configured"):
            http_call({"url": server.url + "/x", "headers": {"X-Leak": f"{{secret:{name}}}"}}, context())
    assert server.paths == []


def test_secrets_come_from_the_secrets_file_or_fuse_secret_variables(server, monkeypatch, tmp_path):
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "127.0.0.1")
    echoed = []
    server.routes["/echo"] = lambda h: (echoed.append(h.headers["X-Key"]), Server.json_ok(h))
    env_file = tmp_path / "secrets.env"
    env_file.write_text("# CRM credentials\nexport CRM_KEY='from-env-file'\nOTHER=x\n")
    monkeypatch.setenv("FUSE_SECRETS_FILE", str(env_file))
    http_call({"url": server.url + "/echo", "headers": {"X-Key": "{secret:CRM_KEY}"}}, context())
    json_file = tmp_path / "secrets.json"
    json_file.write_text(json.dumps({"CRM_KEY": "from-json-file"}))
    monkeypatch.setenv("FUSE_SECRETS_FILE", str(json_file))
    http_call({"url": server.url + "/echo", "headers": {"X-Key": "{secret:CRM_KEY}"}}, context())
    monkeypatch.setenv("FUSE_SECRET_CRM_KEY", "from-variable")  # a FUSE_SECRET_ variable wins over the file
    out = http_call({"url": server.url + "/echo", "headers": {"X-Key": "{secret:CRM_KEY}"}}, context())
    assert echoed == ["from-env-file", "from-json-file", "from-variable"]
    assert "from-variable" not in json.dumps(out)


def test_a_setting_gives_the_base_url_the_model_may_use_but_not_choose(server, monkeypatch):
    monkeypatch.setenv("FUSE_OUTBOUND_ALLOW", "127.0.0.1")
    with pytest.raises(ValueError, match="set FUSE_SETTING_CRM_URL"):
        http_call({"url": "{setting:CRM_URL}/customers/{id}", "id": "C 1"}, context())
    monkeypatch.setenv("FUSE_SETTING_CRM_URL", server.url)
    ctx = context()
    http_call({"url": "{setting:CRM_URL}/customers/{id}", "id": "C 1"}, ctx)
    assert server.paths == ["/customers/C%201"] and ctx.audit[0][1]["url"] == server.url + "/customers/C%201"
