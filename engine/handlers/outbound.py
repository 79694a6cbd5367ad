"""One bounded HTTP call out of the server: to allowed addresses only, within a deadline, up to a size.

Each hop (the first request and every redirect) is checked against the allow-list after its name is resolved,
and the connection goes to the very address that was checked, so a name that resolves differently a moment
later (DNS rebinding) cannot lead it elsewhere; HTTPS still verifies the certificate against the name. The
deadline covers the whole call, connecting, sending, waiting, redirects and the body: a watchdog shuts the socket
when it passes, so a server that drips one byte a second cannot hold the call. An answer larger than the cap is
refused whole. Proxies from the environment are not used.

Limits from the environment: FUSE_OUTBOUND_DEADLINE_S (default 30), FUSE_OUTBOUND_MAX_BYTES (default 1 MiB).
"""
from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from urllib3.exceptions import HTTPError

from engine.handlers.allowed_hosts import AllowList, OutboundRefused

DEADLINE_ENV = "FUSE_OUTBOUND_DEADLINE_S"
MAX_BYTES_ENV = "FUSE_OUTBOUND_MAX_BYTES"
DEFAULT_DEADLINE_S = 30.0
DEFAULT_MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
CHUNK_BYTES = 16 * 1024
REDIRECTS = {301, 302, 303, 307, 308}
# Headers that carry credentials: not sent on to another host by a redirect.
CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization"}


class OutboundTimeout(RuntimeError):
    """The call did not finish within its deadline."""


class OutboundConnectionError(RuntimeError):
    """No answer: the name did not resolve, the connection was refused or broke."""


class AnswerTooLarge(RuntimeError):
    """The answer is larger than the operator's cap."""


@dataclass(frozen=True)
class Limits:
    """How long a call may take and how large its answer may be."""

    deadline_s: float = DEFAULT_DEADLINE_S
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_environment(cls) -> Limits:
        return cls(_positive(DEADLINE_ENV, float, DEFAULT_DEADLINE_S), _positive(MAX_BYTES_ENV, int, DEFAULT_MAX_BYTES))


@dataclass
class Answer:
    """What the server answered (after redirects): status, headers, the whole body."""

    status: int
    headers: urllib3.HTTPHeaderDict
    content: bytes
    url: str


@dataclass
class _Watchdog:
    """Shuts the sockets of a call when its deadline passes, which ends any read that is still waiting."""

    connections: list = field(default_factory=list)
    expired: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            for connection in self.connections:
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass  # already closed


class _WatchedPool:
    """A pool whose new connections the watchdog can reach."""

    watchdog: _Watchdog

    def _new_conn(self):
        connection = super()._new_conn()
        with self.watchdog.lock:
            self.watchdog.connections.append(connection)
        return connection


class _WatchedHTTPPool(_WatchedPool, urllib3.HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_WatchedPool, urllib3.HTTPSConnectionPool):
    pass


def call(method: str, url: str, headers: dict[str, str], body: bytes | None, timeout_s: float,
         allow: AllowList | None = None, limits: Limits | None = None) -> Answer:
    """Send the request and read the whole answer, following redirects; OutboundRefused, OutboundTimeout,
    OutboundConnectionError or AnswerTooLarge when it cannot be done within the rules."""
    allow = allow if allow is not None else AllowList.from_environment()
    limits = limits or Limits.from_environment()
    budget = min(timeout_s, limits.deadline_s)
    deadline = time.monotonic() + budget
    watchdog = _Watchdog()
    timer = threading.Timer(budget, watchdog.expire)
    timer.daemon = True
    timer.start()
    try:
        answer = _follow(method, url, dict(headers), body, allow, limits, deadline, watchdog)
    except (HTTPError, OSError) as exc:
        if watchdog.expired or time.monotonic() >= deadline:
            raise OutboundTimeout(f"no complete answer within {budget:g} s") from None
        raise OutboundConnectionError(f"{type(exc).__name__}: {exc}") from None
    finally:
        timer.cancel()
    if watchdog.expired:  # a shut socket can also read as a short but well-formed answer
        raise OutboundTimeout(f"no complete answer within {budget:g} s")
    return answer


def _follow(method, url, headers, body, allow, limits, deadline, watchdog) -> Answer:
    first_url = url
    for _ in range(MAX_REDIRECTS + 1):
        response, pool = _exchange(method, url, headers, body, allow, deadline, watchdog)
        try:
            location = response.headers.get("Location")
            if response.status not in REDIRECTS or not location:
                content = _read_capped(response, limits.max_bytes)
                return Answer(response.status, response.headers, content, first_url)
            target = urljoin(url, location)
            if urlsplit(target).hostname != urlsplit(url).hostname:
                headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
            if response.status == 303 or (response.status in (301, 302) and method not in ("GET", "HEAD")):
                method, body = "GET", None
                headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
            url = target
        finally:
            response.release_conn()
            pool.close()
    raise OutboundConnectionError(f"more than {MAX_REDIRECTS} redirects")


def _exchange(method, url, headers, body, allow, deadline, watchdog):
    """The answer's status and headers from the first allowed address of the URL's host that takes the call."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(f"only http and https URLs with a host can be called, not {url.split('?')[0]!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = allow.addresses(parts.hostname, port)
    except socket.gaierror as exc:
        raise OutboundConnectionError(f"ConnectionError: cannot resolve {parts.hostname}: {exc}") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {**headers, "Host": parts.netloc.rpartition("@")[2]}
    failure: Exception | None = None
    for address in addresses:
        pool = _pool(parts.scheme, parts.hostname, str(address), port, deadline, watchdog)
        try:
            response = pool.urlopen(method, target, body=body, headers=sent, redirect=False, retries=False,
                                    preload_content=False, decode_content=True, assert_same_host=False)
            return response, pool
        except urllib3.exceptions.NewConnectionError as exc:
            pool.close()
            failure = exc  # try the host's next address
        except BaseException:
            pool.close()
            raise
    raise failure


def _pool(scheme: str, hostname: str, address: str, port: int, deadline: float, watchdog: _Watchdog):
    remaining = max(deadline - time.monotonic(), 0.001)
    timeout = urllib3.Timeout(connect=remaining, read=remaining)
    if scheme == "https":
        pool = _WatchedHTTPSPool(address, port, timeout=timeout, retries=False, cert_reqs="CERT_REQUIRED",
                                 ca_certs=certifi.where(), server_hostname=hostname, assert_hostname=hostname)
    else:
        pool = _WatchedHTTPPool(address, port, timeout=timeout, retries=False)
    pool.watchdog = watchdog
    return pool


def _read_capped(response, max_bytes: int) -> bytes:
    """The whole (decoded) body; AnswerTooLarge as soon as it passes `max_bytes`."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise AnswerTooLarge(f"the answer is {declared} bytes, more than the {max_bytes} bytes allowed "
                             f"({MAX_BYTES_ENV})")
    chunks, size = [], 0
    for chunk in response.stream(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise AnswerTooLarge(f"the answer is more than the {max_bytes} bytes allowed ({MAX_BYTES_ENV})")
        chunks.append(chunk)
    return b"".join(chunks)


def _positive(name: str, kind: type, default):
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name} must be a positive number, not {text!r}") from None
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, not {text!r}")
    return value
