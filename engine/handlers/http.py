"""The `http` handler: calls a system over HTTP and hands its answer to the flow.

Settings (inputs win; else the task's configuration, where `body` may be JSON text):
  method          GET (default), POST, PUT, PATCH, DELETE...
  url             required; its placeholders' values are percent-encoded, except one at the very start
  headers, query  dicts (or JSON object text) whose values are templated
  body            any JSON value, templated, sent as JSON; a string that is one placeholder keeps the variable's type
  timeout_s       seconds the whole call may take, redirects and the body included (default 10; never more
                  than the operator's FUSE_OUTBOUND_DEADLINE_S)
  error_statuses  statuses that raise the BPMN error HTTP_<status> (a list, or "404,409")
  result          {variable: path into the answer}, e.g. {"order_id": "body.id", "etag": "headers.ETag"}
                  (or "order_id=body.id,etag=headers.ETag"): these outputs instead of the three below

Placeholders (`{name}`, `{a.b}`, `{secret:NAME}`, `{setting:NAME}`) are described in engine.handlers.templating.
Outputs: status, body (parsed JSON when the answer says it is JSON, else text), headers. Any other status of 400
or more, a timeout, a connection failure, a host the operator's allow-list does not permit (also as a redirect's
target) or an answer over the size cap is a technical failure (HttpCallFailed): the engine retries it. The
rules every call keeps are in engine.handlers.outbound and engine.handlers.allowed_hosts.
Every call is recorded as an `http_called` event. Secret values are masked in the outputs, the history, error
messages and urllib3's logs.
"""
from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import default_headers, get_encoding_from_headers

from engine.handlers import outbound
from engine.handlers.base import BpmnError, HandlerContext
from engine.handlers.templating import Renderer, as_text, value_at

DEFAULT_TIMEOUT_S = 10.0
EXCERPT_CHARS = 200


class HttpCallFailed(RuntimeError):
    """A technical failure: no answer (`status` None), or an error status the model does not route."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Request:
    """A call with its placeholders filled in (secrets included: never record or log it as it is)."""

    method: str
    url: str
    headers: dict[str, str]
    query: dict
    body: Any
    timeout_s: float


def handle(inputs: dict, context: HandlerContext) -> dict:
    """Call the URL; the answer's status, body and headers (or the `result` picks), or the BPMN error HTTP_<status>."""
    settings = {**config_settings(context.config), **{k: v for k, v in inputs.items() if v is not None}}
    statuses = error_statuses(settings.get("error_statuses"))
    renderer = Renderer(inputs, context.secret, context.setting)
    request = rendered_request(settings, renderer)
    began = time.perf_counter()
    response = send(request, renderer)
    answer = {"status": response.status, "body": renderer.redact(response_body(response)),
              "headers": CaseInsensitiveDict(renderer.redact(dict(response.headers)))}
    url = renderer.redact(response.url)
    context.record("http_called", {"method": request.method, "url": url, "status": response.status,
                                   "duration_ms": round((time.perf_counter() - began) * 1000, 3)})
    status = response.status
    if status in statuses:
        raise BpmnError(f"HTTP_{status}", f"{request.method} {url} answered {status}",
                        variables={"status": status, "body": answer["body"]})
    if status >= 400:
        raise HttpCallFailed(f"{request.method} {url} answered {status}: {excerpt(answer['body'])}", status)
    if settings.get("result"):
        return {name: _picked(answer, path) for name, path in result_paths(settings["result"]).items()}
    return {**answer, "headers": dict(answer["headers"])}


def rendered_request(settings: dict, renderer: Renderer) -> Request:
    """The call the settings describe, its placeholders filled in by `renderer`."""
    url = settings.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ValueError("http: give the `url` to call")
    headers = renderer.value(_dict_setting(settings, "headers"))
    return Request(method=str(settings.get("method") or "GET").strip().upper(),
                   url=renderer.url(url.strip()),
                   headers={str(name): as_text(value) for name, value in headers.items()},
                   query=renderer.value(_dict_setting(settings, "query")),
                   body=renderer.value(settings.get("body")),
                   timeout_s=_timeout(settings))


def send(request: Request, renderer: Renderer) -> outbound.Answer:
    """The server's answer, whatever its status; HttpCallFailed (secrets masked) when none came within the
    operator's rules (allowed hosts, deadline, size)."""
    with renderer.quiet_logs():
        try:
            prepared = requests.Request(request.method, request.url, headers={**default_headers(), **request.headers},
                                        params=request.query or None, json=request.body).prepare()
            body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
            return outbound.call(prepared.method, prepared.url, dict(prepared.headers), body, request.timeout_s)
        except Exception as exc:  # noqa: BLE001 - refusals, timeouts, refused connections, bad URLs: all technical
            failure = f"{request.method} {request.url} failed: {type(exc).__name__}: {exc}"
    # Raised outside the except block so that the original exception, which may quote a secret, is not chained.
    raise HttpCallFailed(renderer.redact(failure))


def response_body(response: outbound.Answer) -> Any:
    """The parsed JSON of a response that says it is JSON (application/json, */*+json), else its text."""
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if response.content and (media_type == "application/json" or media_type.endswith("+json")):
        try:
            return json.loads(response.content)
        except ValueError:
            pass  # a server that mislabels its text: the text is still worth having
    encoding = get_encoding_from_headers(response.headers) or "utf-8"
    try:
        return response.content.decode(encoding, errors="replace")
    except LookupError:  # a charset Python does not know
        return response.content.decode("utf-8", errors="replace")


def error_statuses(value: Any) -> set[int]:
    """Statuses routed as BPMN errors, from a list, one number, or comma-separated text."""
    if value is None or value == "":
        return set()
    items = value.split(",") if isinstance(value, str) else [value] if isinstance(value, int) else list(value)
    try:
        return {int(str(item).strip()) for item in items if str(item).strip()}
    except ValueError:
        raise ValueError(f"http: `error_statuses` must be status codes such as 404,409, not {value!r}") from None


def result_paths(value: Any) -> dict[str, str]:
    """{variable: path} from a dict or from "name=path,name=path" text."""
    if isinstance(value, Mapping):
        return {str(name): str(path) for name, path in value.items()}
    if isinstance(value, str):
        pairs = [item.partition("=") for item in value.split(",") if item.strip()]
        if all(sep and name.strip() and path.strip() for name, sep, path in pairs):
            return {name.strip(): path.strip() for name, _, path in pairs}
    raise ValueError(f"http: `result` must map variables to paths such as id=body.id, not {value!r}")


def config_settings(config: dict) -> dict:
    """The task's configuration, whose values are all text: a `body` that reads as JSON becomes that value."""
    if isinstance(config.get("body"), str):
        return {**config, "body": json_or_text(config["body"])}
    return config


def json_or_text(text: str) -> Any:
    """The JSON value `text` holds, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def excerpt(body: Any) -> str:
    """The start of a body, for an error message."""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    return text[:EXCERPT_CHARS] + ("..." if len(text) > EXCERPT_CHARS else "")


def _picked(answer: dict, path: str) -> Any:
    # A path the answer lacks gives None: optional fields are common and the model can test for null.
    try:
        return value_at(answer, path)
    except LookupError:
        return None


def _dict_setting(settings: dict, name: str) -> dict:
    value = settings.get(name)
    if isinstance(value, str) and value.strip():
        value = json_or_text(value)  # task configuration gives dicts as JSON text
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"http: `{name}` must be a dict (or JSON object text), not {type(value).__name__}")
    return dict(value)


def _timeout(settings: dict) -> float:
    value = settings.get("timeout_s")
    try:
        timeout = DEFAULT_TIMEOUT_S if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"http: `timeout_s` must be a number of seconds, not {value!r}") from None
    if not timeout > 0:
        raise ValueError(f"http: `timeout_s` must be more than 0, not {value!r}")
    return timeout
