"""What a JUEL expression may reach inside a value: properties, indexes and allow-listed methods.

Promise: nothing whose name starts with '_' is ever reachable (no dunders, no private
attributes or keys); methods are callable only on strings, lists and maps, and only those in
the allow-lists below; modules and classes cannot be looked into. Every refusal or failure
raises ExpressionError naming the property or method.
"""
from __future__ import annotations

import numbers
import types
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel_values import MAX_TEXT
from bpmn.expressions.regex import compile_regex
from bpmn.expressions.juel_values import describe, equals, fail, to_int, to_str

_MISSING = object()
# Java's String.trim() strips every char <= ' ', not Unicode whitespace.
_JAVA_TRIM = "".join(chr(code) for code in range(33))


def _check_name(name: Any, pos: int | None) -> None:
    if isinstance(name, str) and name.startswith("_"):
        raise fail(f"'{name}' is not accessible: names starting with '_' are private", pos)


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def get_property(base: Any, key: Any, pos: int | None) -> Any:
    """`base.key` and `base[key]`, as JUEL's resolvers do it.

    A null base gives null; a missing map key gives null; a list index outside the list
    gives null; an object without the attribute is an error.
    """
    if base is None:
        return None
    _check_name(key, pos)
    if type(base) is dict or isinstance(base, Mapping):
        try:
            return base.get(key)
        except Exception as err:  # e.g. an unhashable key
            raise fail(f"cannot look up {describe(key)} in a map: {err}", pos) from None
    if _is_list(base):
        if isinstance(key, str) and key in LIST_METHODS:
            raise fail(f"a list has no property '{key}' (call {key}() instead)", pos)
        index = to_int(key, pos)
        if 0 <= index < len(base):
            return base[index]
        return None
    if isinstance(base, (str, bytes, bytearray, numbers.Number)):
        hint = " (call length() instead)" if key == "length" and isinstance(base, str) else ""
        raise fail(f"{describe(base)} has no property {describe(key)}{hint}", pos)
    if isinstance(base, (types.ModuleType, type)):
        raise fail(f"cannot read property {describe(key)} of a {type(base).__name__}", pos)
    name = to_str(key)
    _check_name(name, pos)
    try:
        value = getattr(base, name, _MISSING)
    except Exception as err:  # a failing @property must still surface as ExpressionError
        raise fail(f"reading property '{name}' of {describe(base)} failed: {err}", pos) from None
    if value is _MISSING:
        raise fail(f"unknown property '{name}' on {describe(base)}", pos)
    if callable(value):
        raise fail(f"'{name}' of {describe(base)} is a method, not a property", pos)
    return value


# --- allow-listed methods: name -> (function(base, args, pos), allowed argument counts) -----
# Arguments are coerced as JUEL coerces them to the Java parameter types (String, int).

MethodTable = dict[str, tuple[Callable[[Any, list, Any], Any], tuple[int, ...]]]

def _substring(text: str, args: list, pos: int | None) -> str:
    begin = to_int(args[0], pos)
    end = to_int(args[1], pos) if len(args) > 1 else len(text)
    if not 0 <= begin <= end <= len(text):
        raise fail(f"substring({begin}, {end}) is out of range for a string of length {len(text)}", pos)
    return text[begin:end]


def _index_of(text: str, args: list, pos: int | None) -> int:
    start = max(to_int(args[1], pos), 0) if len(args) > 1 else 0
    return text.find(to_str(args[0]), start)


def _matches(text: str, args: list, pos: int | None) -> bool:
    pattern = to_str(args[0])
    regex = compile_regex(pattern)  # RE2: linear time, so no pattern can stall the server
    if regex is None:
        raise fail(f"invalid regular expression {describe(pattern)} (back-references and look-around "
                   "are not supported)", pos)
    return regex.fullmatch(text) is not None


def _replace(text: str, args: list, pos: int | None) -> str:
    old, new = to_str(args[0]), to_str(args[1])
    # Sized before it runs: replacing "" puts `new` between every two characters.
    count = len(text) + 1 if old == "" else text.count(old)
    if len(text) + count * (len(new) - len(old)) > MAX_TEXT:
        raise fail(f"replace() would build a text longer than {MAX_TEXT} characters", pos)
    return text.replace(old, new)


def _equals_ignore_case(text: str, args: list, pos: int | None) -> bool:
    other = args[0]
    return isinstance(other, str) and text.casefold() == other.casefold()


def _starts_with(text: str, args: list, pos: int | None) -> bool:
    offset = to_int(args[1], pos) if len(args) > 1 else 0
    return offset >= 0 and text.startswith(to_str(args[0]), offset)


STRING_METHODS: MethodTable = {
    "length": (lambda s, a, p: len(s), (0,)),
    "isEmpty": (lambda s, a, p: s == "", (0,)),
    "startsWith": (_starts_with, (1, 2)),
    "endsWith": (lambda s, a, p: s.endswith(to_str(a[0])), (1,)),
    "contains": (lambda s, a, p: to_str(a[0]) in s, (1,)),
    "toUpperCase": (lambda s, a, p: s.upper(), (0,)),
    "toLowerCase": (lambda s, a, p: s.lower(), (0,)),
    "trim": (lambda s, a, p: s.strip(_JAVA_TRIM), (0,)),
    # Java's equals(Object) is true only for another string with the same characters.
    "equals": (lambda s, a, p: isinstance(a[0], str) and s == a[0], (1,)),
    "equalsIgnoreCase": (_equals_ignore_case, (1,)),
    "substring": (_substring, (1, 2)),
    "indexOf": (_index_of, (1, 2)),
    "lastIndexOf": (lambda s, a, p: s.rfind(to_str(a[0])), (1,)),
    "matches": (_matches, (1,)),
    "replace": (_replace, (2,)),
    "toString": (lambda s, a, p: s, (0,)),
}


def _list_get(items: Sequence, args: list, pos: int | None) -> Any:
    index = to_int(args[0], pos)
    if not 0 <= index < len(items):
        raise fail(f"get({index}) is out of range for a list of size {len(items)}", pos)
    return items[index]


def _contains(items: Any, value: Any, pos: int | None) -> bool:
    # JUEL/Java equality, so that 1 is not found in [true] the way Python's `in` would.
    for item in items:
        try:
            if equals(item, value, pos):
                return True
        except ExpressionError:  # uncomparable (e.g. 'x' vs 1) means "not this one"
            continue
    return False


def _index_in(items: Sequence, value: Any, pos: int | None) -> int:
    for index, item in enumerate(items):
        try:
            if equals(item, value, pos):
                return index
        except ExpressionError:
            continue
    return -1


LIST_METHODS: MethodTable = {
    "size": (lambda s, a, p: len(s), (0,)),
    "isEmpty": (lambda s, a, p: len(s) == 0, (0,)),
    "contains": (lambda s, a, p: _contains(s, a[0], p), (1,)),
    "indexOf": (lambda s, a, p: _index_in(s, a[0], p), (1,)),
    "get": (_list_get, (1,)),
}


def _map_key(key: Any, pos: int | None) -> Any:
    _check_name(key, pos)
    return key


MAP_METHODS: MethodTable = {
    "size": (lambda s, a, p: len(s), (0,)),
    "isEmpty": (lambda s, a, p: len(s) == 0, (0,)),
    "get": (lambda s, a, p: s.get(_map_key(a[0], p)), (1,)),
    "containsKey": (lambda s, a, p: _map_key(a[0], p) in s, (1,)),
    "containsValue": (lambda s, a, p: _contains(s.values(), a[0], p), (1,)),
}


def _methods_for(base: Any) -> tuple[str, MethodTable] | None:
    if isinstance(base, str):
        return "string", STRING_METHODS
    if isinstance(base, Mapping):
        return "map", MAP_METHODS
    if _is_list(base):
        return "list", LIST_METHODS
    return None


def call_method(base: Any, name: str, args: list, pos: int | None, target: str) -> Any:
    """`base.name(args)`; `target` is the source text of `base`, for messages."""
    if base is None:
        raise fail(f"cannot call {name}() because '{target}' is null", pos)
    found = _methods_for(base)
    if found is None:
        raise fail(f"method '{name}' is not allowed: methods can only be called on strings, "
                   f"lists and maps, not on {describe(base)}", pos)
    kind, methods = found
    entry = methods.get(name)
    if entry is None:
        raise fail(f"method '{name}' is not allowed on a {kind} (allowed: {', '.join(methods)})", pos)
    function, arities = entry
    if len(args) not in arities:
        expected = " or ".join(str(count) for count in arities)
        raise fail(f"{name}() takes {expected} argument(s), got {len(args)}", pos)
    try:
        return function(base, args, pos)
    except ExpressionError:
        raise
    except Exception as err:  # user containers with odd behaviour must not leak Python errors
        raise fail(f"{name}() failed: {err}", pos) from None
