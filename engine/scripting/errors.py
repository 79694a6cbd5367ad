"""The errors a script or a Python expression fails with, wherever it ran (in-process or isolated)."""
from __future__ import annotations


class ScriptError(Exception):
    """A script or expression was refused or failed: ``message`` (one line), ``line``
    (1-based in the user's source, or None); ``str(err)`` is "<message> (line <n>)"."""

    def __init__(self, message: str, line: int | None = None):
        self.message, self.line = message, line
        super().__init__(f"{message} (line {line})" if line else message)


class ScriptTimeout(ScriptError):
    """The script or expression ran longer than its time limit."""
