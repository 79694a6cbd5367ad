"""FEEL's built-in string functions (`substring`, `matches`, `replace`, `split`, ...), with
Camunda 8's `extract`, `trim`, `uuid`, `to base64`, `from base64` and `is blank`.

Promise, as FEEL wants it: arguments of the wrong type (or null), a bad regular expression and
text that is no base64 give null rather than raising. Patterns run on RE2 (see regex.py): a
pattern RE2 cannot express (back-references, look-around) is null too.
"""
from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Any, Callable

from bpmn.expressions.feel_values import MAX_TEXT, whole
from bpmn.expressions.regex import Pattern, compile_regex

_GROUP_REFERENCE = re.compile(r"\\(.)|\$(\d+)")


def _strings(*values: Any) -> bool:
    return all(isinstance(value, str) for value in values)


def _substring(text: Any, start: Any, length: Any = None) -> str | None:
    """1-based `start` (negative counts from the end), optional `length`."""
    start, count = whole(start), None if length is None else whole(length)
    if not isinstance(text, str) or not start or (length is not None and (count is None or count < 0)):
        return None
    begin = start - 1 if start > 0 else max(len(text) + start, 0)
    return text[begin:] if count is None else text[begin:begin + count]


def _regex(pattern: Any, flags: Any = None) -> Pattern | None:
    if not _strings(pattern) or (flags is not None and not _strings(flags)):
        return None
    return compile_regex(pattern, flags or "")  # a bad pattern or flag is a type error in FEEL: null


def _matches(text: Any, pattern: Any, flags: Any = None) -> bool | None:
    regex = _regex(pattern, flags)
    return None if regex is None or not _strings(text) else regex.search(text) is not None


def _replace(text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str | None:
    """XPath fn:replace: `$1` in the replacement is group 1, `\\$` a literal dollar. Null when
    the result would pass MAX_TEXT (an empty pattern puts the replacement between every two
    characters)."""
    regex = _regex(pattern, flags)
    if regex is None or not _strings(text, replacement):
        return None
    added = 0

    def expand(match: Any) -> str:
        nonlocal added

        def reference(ref: re.Match) -> str:
            if ref[1] is not None:
                return ref[1]
            group = int(ref[2])
            return (match[group] or "") if group <= regex.groups else ""
        expanded = _GROUP_REFERENCE.sub(reference, replacement)
        added += len(expanded)
        if len(text) + added > MAX_TEXT:
            raise ValueError("the replaced text would be too long")  # null, as any type error
        return expanded
    return regex.sub(expand, text)


def _split(text: Any, delimiter: Any) -> list[str] | None:
    regex = _regex(delimiter)
    if regex is None or not _strings(text):
        return None
    # Slicing at each match, not re.split, so that groups in the delimiter add no elements.
    parts, start = [], 0
    for match in regex.finditer(text):
        if match.end() == match.start():  # an empty match splits nothing (XPath refuses it)
            continue
        parts.append(text[start:match.start()])
        start = match.end()
    parts.append(text[start:])
    return parts


def _extract(text: Any, pattern: Any) -> list[str] | None:
    regex = _regex(pattern)
    return None if regex is None or not _strings(text) else [m[0] for m in regex.finditer(text)]


def _string_op(op: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *args: op(*args) if _strings(*args) else None


def _before(text: str, match: str) -> str:
    return text.split(match, 1)[0] if match in text else ""


def _after(text: str, match: str) -> str:
    return text.split(match, 1)[1] if match in text else ""


def _to_base64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _from_base64(text: str) -> str | None:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # not base64, or bytes that are no UTF-8 text
        return None


STRING_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "string length": (_string_op(len), 1, 1),
    "substring": (_substring, 2, 3),
    "substring before": (_string_op(_before), 2, 2),
    "substring after": (_string_op(_after), 2, 2),
    "upper case": (_string_op(str.upper), 1, 1),
    "lower case": (_string_op(str.lower), 1, 1),
    "trim": (_string_op(str.strip), 1, 1),
    "contains": (_string_op(lambda s, t: t in s), 2, 2),
    "starts with": (_string_op(str.startswith), 2, 2),
    "ends with": (_string_op(str.endswith), 2, 2),
    "matches": (_matches, 2, 3),
    "replace": (_replace, 3, 4),
    "split": (_split, 2, 2),
    "extract": (_extract, 2, 2),
    "is blank": (_string_op(lambda s: not s.strip()), 1, 1),
    "to base64": (_string_op(_to_base64), 1, 1),
    "from base64": (_string_op(_from_base64), 1, 1),
    "uuid": (lambda: str(uuid.uuid4()), 0, 0),
}
