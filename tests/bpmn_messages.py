"""What a message about a model must never contain: Python's own text (exception class names, reprs of XML
bytes, tracebacks)."""
from __future__ import annotations

import re

PYTHON_TEXT = re.compile(r"\b[A-Z]\w*(Error|Exception)\b|\b(KeyError|IndexError|TypeError)\b|b'<|Traceback")
