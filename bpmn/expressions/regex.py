"""Regular expressions from models and data, run by RE2: time linear in the text, never backtracking.

Python's `re` backtracks: `matches(text, "(a+)+$")` on 26 a's and a '!' took 16 s holding the GIL.
RE2 (google-re2) guarantees linear time but cannot express back-references or look-around; such a
pattern is refused like a malformed one (`compile_regex` gives None), which FEEL reads as null and
JUEL reports as an invalid expression. XML Schema flags map to RE2's: i, s, m as inline flags,
x (ignore whitespace in the pattern) by removing that whitespace outside character classes.
"""
from __future__ import annotations

import functools

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is an answer, not something for the server log
_INLINE_FLAGS = frozenset("ism")
_WHITESPACE = frozenset(" \t\n\r")

Pattern = re2._Regexp


@functools.lru_cache(maxsize=1024)
def compile_regex(pattern: str, flags: str = "") -> Pattern | None:
    """The compiled pattern, or None if RE2 cannot express it or a flag is unknown."""
    if any(flag not in _INLINE_FLAGS and flag != "x" for flag in flags):
        return None
    if "x" in flags:
        pattern = _without_whitespace(pattern)
    inline = "".join(sorted(set(flags) & _INLINE_FLAGS))
    try:
        return re2.compile(f"(?{inline}){pattern}" if inline else pattern, _OPTIONS)
    except re2.error:
        return None


def _without_whitespace(pattern: str) -> str:
    """XPath's x flag: whitespace is dropped from the pattern except inside [...]."""
    kept, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char in _WHITESPACE and not in_class:
            continue
        kept.append(char)
    return "".join(kept)
