"""SpiffWorkflow's complaints about a model, told in words rather than in Python's.

Fuse checks what it can before SpiffWorkflow parses a model (bpmn.checks, bpmn.dmn_files), so these are
the rest. SpiffWorkflow wraps any failure while parsing an element as the repr of the exception
("KeyError('id')", "NotImplementedError('Unsupported Catch Event: %r', b'<bpmn:...>')"), and some fail
outside any element; either way the user sees what went wrong, not which Python class noticed it.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException


def in_words(err: Exception) -> str:
    """What SpiffWorkflow found wrong, without exception class names or reprs of XML."""
    if isinstance(err, ValidationException):
        message = str(err.args[0]) if err.args else ""
        # SpiffWorkflow's task parser reports any other failure as ValidationException("%r" % failure).
        if err.__context__ is not None and message == repr(err.__context__):
            return _described(err.__context__)
        return message.strip() or "SpiffWorkflow cannot read this element"
    return _described(err)


def _described(failure: BaseException) -> str:
    if isinstance(failure, KeyError) and failure.args:
        return f"SpiffWorkflow cannot read this element: it lacks {failure.args[0]!r}"
    first = failure.args[0] if failure.args and isinstance(failure.args[0], str) else str(failure)
    # Messages built as (format, value) pairs, like the one above, carry the element's XML as the value.
    text = first.replace(": %r", "").replace("%r", "").strip()
    return f"SpiffWorkflow cannot read this element: {text}" if text else "SpiffWorkflow cannot read this element"
