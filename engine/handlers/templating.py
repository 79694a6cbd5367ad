"""Placeholders in handler settings, and keeping the secrets they bring in out of everything else.

`{name}` and `{a.b}` (dict keys, list indexes) are filled from the task's variables, `{secret:NAME}` from
`HandlerContext.secret(NAME)` and `{setting:NAME}` from `HandlerContext.setting(NAME)` (both configured by the
operator, see engine.handlers.operator_values); `{{` and `}}` are literal braces, and a lone brace is left as it is. A
`Renderer` remembers every secret it filled in, so that a handler can redact them from its outputs, history
data and error messages, and from what urllib3 logs while the request is on its way.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any, Callable
from urllib.parse import quote, quote_plus

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")
SECRET_PREFIX = "secret:"
SETTING_PREFIX = "setting:"
MASK = "***"
# The loggers that write request URLs (debug level, redirects, retries) while requests sends them.
URL_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager", "urllib3.util.retry")


class Renderer:
    """Fills placeholders from `variables` and `secret(name)`; `secrets` holds the secret values it used."""

    def __init__(self, variables: Mapping, secret: Callable[[str], str], setting: Callable[[str], str] | None = None):
        self.variables = variables
        self._secret = secret
        self._setting = setting
        self.secrets: set[str] = set()

    def value(self, template: Any) -> Any:
        """`template` with every string inside it (dict values, list items) filled in. A string that is a
        single variable placeholder becomes that variable's value as it is, so `"{amount}"` stays a number."""
        if isinstance(template, str):
            whole = PLACEHOLDER.fullmatch(template)
            if whole and whole.group(1) and not whole.group(1).strip().startswith((SECRET_PREFIX, SETTING_PREFIX)):
                return self._variable(whole.group(1).strip())
            return self.text(template)
        if isinstance(template, Mapping):
            return {key: self.value(item) for key, item in template.items()}
        if isinstance(template, (list, tuple)):
            return [self.value(item) for item in template]
        return template

    def text(self, template: str) -> str:
        """`template` with every placeholder replaced by its value as text."""
        return PLACEHOLDER.sub(lambda match: self._replacement(match, encode=False), template)

    def url(self, template: str) -> str:
        """Like `text`, but values are percent-encoded so that a variable cannot change the path or add a
        query parameter; a placeholder at the very start (`{base_url}/orders/{id}`) supplies the base as is."""
        return PLACEHOLDER.sub(lambda match: self._replacement(match, encode=match.start() > 0), template)

    def redact(self, value: Any) -> Any:
        """`value` (a string, or dicts and lists of them) with each secret this renderer used masked."""
        if isinstance(value, str):
            return redacted(value, self.secrets)
        if isinstance(value, Mapping):
            return {self.redact(key): self.redact(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.redact(item) for item in value]
        return value

    @contextmanager
    def quiet_logs(self):
        """While inside, urllib3's log records have this renderer's secrets masked."""
        _install_log_filter()
        with _ACTIVE_LOCK:
            _ACTIVE_SECRETS.update(self.secrets)
        try:
            yield
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE_SECRETS.subtract(self.secrets)
                for secret in [s for s, uses in _ACTIVE_SECRETS.items() if uses <= 0]:
                    del _ACTIVE_SECRETS[secret]

    def _replacement(self, match: re.Match, encode: bool) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1).strip()
        if name.startswith(SECRET_PREFIX):
            text = self.secret(name[len(SECRET_PREFIX):].strip())
        elif name.startswith(SETTING_PREFIX):
            text = self.setting(name[len(SETTING_PREFIX):].strip())
        else:
            text = as_text(self._variable(name))
        return quote(text, safe="") if encode else text

    def secret(self, name: str) -> str:
        """The secret `name` (KeyError if unset), remembered so that it is redacted."""
        secret = self._secret(name)
        if secret:  # an empty secret would mask every gap between characters
            self.secrets.add(secret)
        return secret

    def setting(self, name: str) -> str:
        """The operator's setting `name`; ValueError when there is no setting source or it is unset."""
        if self._setting is None:
            raise ValueError(f"no settings here for placeholder {{setting:{name}}}")
        try:
            return self._setting(name)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None

    def _variable(self, path: str) -> Any:
        try:
            return value_at(self.variables, path)
        except LookupError as exc:
            raise ValueError(f"no value for placeholder {{{path}}}: {exc.args[0]}") from None


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path (dict keys, list indexes) in `data`; LookupError naming the missing step."""
    value = data
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, (list, tuple)) and _is_index(part, value):
            value = value[int(part)]
        else:
            raise LookupError(f"there is no {part!r} in {path!r}")
    return value


def _is_index(part: str, items) -> bool:
    return part.lstrip("-").isdigit() and -len(items) <= int(part) < len(items)


def as_text(value: Any) -> str:
    """A variable's value inside a string: text and numbers as they read, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def redacted(text: str, secrets: set[str] | frozenset[str]) -> str:
    """`text` with each secret masked, also where it shows escaped (a repr) or percent-encoded (a URL)."""
    for secret in sorted(secrets, key=len, reverse=True):  # longest first: one secret may contain another
        for form in _written_forms(secret):
            text = text.replace(form, MASK)
    return text


def _written_forms(secret: str) -> list[str]:
    # As given, as a repr shows it (exception texts), and as it travels in a URL path or query string.
    forms = {secret, repr(secret)[1:-1], quote(secret), quote(secret, safe=""), quote_plus(secret)}
    return sorted(forms, key=len, reverse=True)


# Secrets of the calls in flight, counted because two concurrent calls may share one.
_ACTIVE_SECRETS: Counter[str] = Counter()
_ACTIVE_LOCK = threading.Lock()


class _SecretFilter(logging.Filter):
    """Masks the secrets of the calls in flight in a log record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        with _ACTIVE_LOCK:
            secrets = frozenset(_ACTIVE_SECRETS)
        if secrets:
            message = record.getMessage()
            masked = redacted(message, secrets)
            if masked != message:
                record.msg, record.args = masked, ()
        return True


def _install_log_filter() -> None:
    # Installed on first use, not at import; one filter per logger, whatever the number of calls.
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _SecretFilter) for existing in logger.filters):
            logger.addFilter(_SecretFilter())
