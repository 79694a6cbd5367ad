"""Values an operator gives handlers, never a model or a request: secrets and settings.

Secrets (`{secret:NAME}` in handler settings, `api_key_secret`, the SMTP password) come from
`FUSE_SECRET_<NAME>` environment variables, else from the file `FUSE_SECRETS_FILE` names: a JSON object of
name -> text, or `.env` lines `NAME=value` (`#` comments, optional quotes, an optional `export `). Any other
environment variable, `FUSE_DATABASE_URL` included, is out of reach. The file is read at each use, so a rotated
secret needs no restart.

Settings (`{setting:NAME}`) are plain configuration a model may use but not choose, such as the base URL of a
CRM: `FUSE_SETTING_<NAME>` environment variables. Unlike secrets they are not masked in the history.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

SECRET_PREFIX = "FUSE_SECRET_"
SECRETS_FILE = "FUSE_SECRETS_FILE"
SETTING_PREFIX = "FUSE_SETTING_"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*")


def secret(name: str) -> str:
    """The secret `name` from FUSE_SECRET_<NAME> or the secrets file; KeyError saying how to configure it."""
    key = _checked(name, "secret")
    if SECRET_PREFIX + key.upper() in os.environ:
        return os.environ[SECRET_PREFIX + key.upper()]
    stored = secrets_file()
    for candidate in (key, key.upper()):
        if candidate in stored:
            return stored[candidate]
    raise KeyError(f"secret {key} is not configured (set {SECRET_PREFIX}{key.upper()} or add {key} to the file "
                   f"{SECRETS_FILE} names)")


def setting(name: str) -> str:
    """The setting `name` from FUSE_SETTING_<NAME>; KeyError saying how to configure it."""
    key = SETTING_PREFIX + _checked(name, "setting").upper()
    if key not in os.environ:
        raise KeyError(f"setting {name} is not configured (set {key})")
    return os.environ[key]


def secrets_file() -> dict[str, str]:
    """The secrets in the file FUSE_SECRETS_FILE names ({} when unset); ValueError naming a malformed file
    (never quoting it: it holds secrets)."""
    path = os.environ.get(SECRETS_FILE, "").strip()
    if not path:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{SECRETS_FILE}: cannot read {path}: {exc.strerror}") from None
    return _json_secrets(text, path) if text.lstrip().startswith("{") else _env_secrets(text, path)


def _json_secrets(text: str, path: str) -> dict[str, str]:
    try:
        values = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{SECRETS_FILE}: {path} is not valid JSON (line {exc.lineno})") from None
    if not all(isinstance(value, str) for value in values.values()):
        raise ValueError(f"{SECRETS_FILE}: every value in {path} must be text")
    return values


def _env_secrets(text: str, path: str) -> dict[str, str]:
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = ENV_LINE.fullmatch(line)
        if not match:
            raise ValueError(f"{SECRETS_FILE}: line {number} of {path} is not NAME=value")
        value = match.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[match.group(1)] = value
    return values


def _checked(name: str, kind: str) -> str:
    name = str(name).strip()
    if not NAME.fullmatch(name):
        raise KeyError(f"{kind} names are letters, digits and _, not {name!r}")
    return name
