"""The `notify` handler: sends a message, templated from the task's variables, by email or to a webhook.

Settings (inputs win; else the task's configuration):
  channel   "email" or "webhook"
  email     to (an address, a list, or comma-separated), subject, body, from (default FUSE_SMTP_FROM, else
            fuse@localhost), timeout_s (default 10). The server comes from the environment: FUSE_SMTP_HOST
            (localhost), FUSE_SMTP_PORT (25), FUSE_SMTP_STARTTLS=1 to upgrade the connection to TLS, and
            FUSE_SMTP_USER to log in with the secret SMTP_PASSWORD.
  webhook   url, payload (any JSON value, POSTed as JSON), headers, timeout_s (default 10)

Placeholders (`{name}`, `{a.b}`, `{secret:NAME}`, `{setting:NAME}`) are described in engine.handlers.templating.
A webhook call keeps the same rules as the `http` handler's (allowed hosts, deadline, size cap).
Outputs: sent (True), channel, and message_id (email) or status (webhook). A `notification_sent` event records
where the message went, never its body or a secret. A refused delivery or a webhook answer outside 2xx is a
technical failure (NotificationFailed, or HttpCallFailed when the webhook does not answer): the engine retries it.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid, parseaddr

from engine.handlers.base import HandlerContext
from engine.handlers.http import excerpt, json_or_text, rendered_request, response_body, send
from engine.handlers.templating import Renderer, as_text

DEFAULT_FROM = "fuse@localhost"
DEFAULT_TIMEOUT_S = 10.0


class NotificationFailed(RuntimeError):
    """The message was not delivered (a technical failure: the engine retries it)."""


def handle(inputs: dict, context: HandlerContext) -> dict:
    """Send the message on its channel; `sent`, the channel and what identifies the delivery."""
    config = dict(context.config)
    if isinstance(config.get("payload"), str):
        config["payload"] = json_or_text(config["payload"])  # task configuration gives JSON as text
    settings = {**config, **{k: v for k, v in inputs.items() if v is not None}}
    channel = settings.get("channel")
    if channel not in CHANNELS:
        raise ValueError(f"notify: unknown channel {channel!r} (known: {', '.join(sorted(CHANNELS))})")
    renderer = Renderer(inputs, context.secret, context.setting)
    outputs, trace = CHANNELS[channel](settings, renderer)
    context.record("notification_sent", renderer.redact({"channel": channel, **trace}))
    return {"sent": True, "channel": channel, **renderer.redact(outputs)}


def send_email(settings: dict, renderer: Renderer) -> tuple[dict, dict]:
    """Deliver an email through the SMTP server the environment names; (outputs, history data)."""
    message = email_message(settings, renderer)
    recipients = [address for _, address in getaddresses([message["To"]])]
    timeout = float(settings.get("timeout_s") or DEFAULT_TIMEOUT_S)
    refused = _deliver(message, renderer, timeout)
    trace = {"to": recipients, "subject": message["Subject"], "message_id": message["Message-ID"]}
    if refused:
        trace["refused"] = sorted(refused)
    return {"message_id": message["Message-ID"]}, trace


def email_message(settings: dict, renderer: Renderer) -> EmailMessage:
    """The email the settings describe, placeholders filled in; ValueError without a recipient."""
    sender = renderer.text(str(settings.get("from") or os.environ.get("FUSE_SMTP_FROM") or DEFAULT_FROM))
    recipients = recipient_list(renderer.value(settings.get("to")))
    if not recipients:
        raise ValueError("notify: an email needs `to`, one or more addresses")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = renderer.text(str(settings.get("subject") or ""))
    # The domain is given so that make_msgid does not ask DNS for this host's name.
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "localhost")
    message.set_content(renderer.text(str(settings.get("body") or "")))
    return message


def recipient_list(value) -> list[str]:
    """Addresses from a list or from comma-separated text."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else [as_text(item) for item in value]
    return [item.strip() for item in items if item.strip()]


def post_webhook(settings: dict, renderer: Renderer) -> tuple[dict, dict]:
    """POST the payload as JSON to the webhook URL; (outputs, history data)."""
    call = {"method": "POST", "url": settings.get("url"), "headers": settings.get("headers"),
            "body": settings.get("payload"),
            "timeout_s": settings.get("timeout_s")}
    request = rendered_request(call, renderer)
    response = send(request, renderer)
    url = renderer.redact(request.url)
    if not 200 <= response.status < 300:
        body = renderer.redact(response_body(response))
        raise NotificationFailed(f"notify: webhook {url} answered {response.status}: {excerpt(body)}")
    return {"status": response.status}, {"url": url, "status": response.status}


def _deliver(message: EmailMessage, renderer: Renderer, timeout: float) -> dict:
    """Hand the message to the SMTP server; the recipients it refused (when it accepted others)."""
    host = os.environ.get("FUSE_SMTP_HOST") or "localhost"
    port = int(os.environ.get("FUSE_SMTP_PORT") or 25)
    user = os.environ.get("FUSE_SMTP_USER")
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if os.environ.get("FUSE_SMTP_STARTTLS", "").strip().lower() in ("1", "true", "yes"):
                smtp.starttls(context=ssl.create_default_context())
            if user:
                smtp.login(user, renderer.secret("SMTP_PASSWORD"))
            return smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        failure = f"notify: the SMTP server {host}:{port} did not take the email: {type(exc).__name__}: {exc}"
    # Raised outside the except block: the original exception is not chained, in case it quotes a secret.
    raise NotificationFailed(renderer.redact(failure))


# Each channel: (settings, renderer) -> (outputs, history data).
CHANNELS = {"email": send_email, "webhook": post_webhook}
