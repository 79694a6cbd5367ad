"""FEEL's built-in list and context functions (`count`, `sum`, `list contains`, `get value`, ...).

Promise, as FEEL wants it: wrong argument types (a number where a list belongs, a string in
`sum`) give null rather than raising. Elements are compared with FEEL equality, so that
`list contains([1], true)` is false where Python's `in` would say true.
"""
from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any, Callable

from bpmn.expressions.feel_values import add, all_of, any_of, divide, equal, is_list, is_number, \
    kind, less, multiply, whole

_MISSING = object()


def _values(args: tuple) -> list | None:
    """The list of a list-or-varargs function: `sum([1, 2])` and `sum(1, 2)` mean the same."""
    if len(args) == 1 and is_list(args[0]):
        return list(args[0])
    if len(args) == 1 and args[0] is None:
        return None
    return list(args)


def _numbers(args: tuple) -> list | None:
    values = _values(args)
    if values is None or not all(is_number(value) for value in values):
        return None
    return values


def _index_of(items: list, value: Any) -> int:
    for position, item in enumerate(items):
        if equal(item, value) is True:
            return position
    return -1


def _on_list(op: Callable[..., Any]) -> Callable[..., Any]:
    """`op(items, *rest)` when the first argument is a list, else null."""
    return lambda items, *rest: op(list(items), *rest) if is_list(items) else None


def _sum(*args: Any) -> Any:
    numbers = _numbers(args)
    if not numbers:
        return None
    total = numbers[0]
    for number in numbers[1:]:
        total = add(total, number)
    return total


def _product(*args: Any) -> Any:
    numbers = _numbers(args)
    if not numbers:
        return None
    total = numbers[0]
    for number in numbers[1:]:
        total = multiply(total, number)
    return total


def _mean(*args: Any) -> Any:
    numbers = _numbers(args)
    return divide(_sum(*numbers), len(numbers)) if numbers else None


def _median(*args: Any) -> Any:
    numbers = _numbers(args)
    return statistics.median(numbers) if numbers else None


def _extreme(wanted: bool) -> Callable[..., Any]:
    """min (wanted=True: keep the smaller) or max; values must be mutually comparable."""
    def pick(*args: Any) -> Any:
        values = _values(args)
        if not values:
            return None
        best = values[0]
        for value in values[1:]:
            smaller = less(value, best)
            if smaller is None:
                return None
            if smaller is wanted and not equal(value, best):
                best = value
        return best
    return pick


def _offset(items: list, position: Any) -> int | None:
    """The 0-based offset of a 1-based (or negative, from the end) position inside `items`."""
    position = whole(position)
    if position is None or not 0 < abs(position) <= len(items):
        return None
    return position - 1 if position > 0 else len(items) + position


def _sublist(items: list, start: Any, length: Any = None) -> list | None:
    begin, count = _offset(items, start), whole(length)
    if begin is None or (length is not None and (count is None or count < 0)):
        return None
    return items[begin:] if length is None else items[begin:begin + count]


def _insert_before(items: list, position: Any, value: Any) -> list | None:
    at = _offset(items, position)
    return None if at is None else items[:at] + [value] + items[at:]


def _remove(items: list, position: Any) -> list | None:
    at = _offset(items, position)
    return None if at is None else items[:at] + items[at + 1:]


def _distinct(items: list) -> list:
    result: list = []
    for item in items:
        if _index_of(result, item) < 0:
            result.append(item)
    return result


def _union(*lists: Any) -> list | None:
    if not all(is_list(items) for items in lists):
        return None
    return _distinct([item for items in lists for item in items])


def _flatten(items: list) -> list:
    flat: list = []
    for item in items:
        flat.extend(_flatten(list(item)) if is_list(item) else [item])
    return flat


def _sort(items: list) -> list | None:
    """Ascending, for values of one orderable kind (numbers, strings, dates, ...); else null."""
    if not items:
        return []
    kinds = {kind(item) for item in items}
    if len(kinds) != 1 or less(items[0], items[0]) is None:  # one kind, and an ordered one
        return None
    try:
        return sorted(items)
    except TypeError:  # e.g. naive and aware date and time mixed
        return None


def _string_join(items: list, delimiter: Any = "", prefix: Any = "", suffix: Any = "") -> str | None:
    texts = [item for item in items if item is not None]
    if not all(isinstance(part, str) for part in [*texts, delimiter, prefix, suffix]):
        return None
    return prefix + delimiter.join(texts) + suffix


def _booleans(combine: Callable[[list], Any]) -> Callable[..., Any]:
    return lambda *args: None if (values := _values(args)) is None else combine(values)


# --- contexts --------------------------------------------------------------------------------

def _public(key: Any) -> bool:
    return isinstance(key, str) and not key.startswith("_")


def _get_value(context: Any, key: Any) -> Any:
    if not isinstance(context, Mapping) or not _public(key):
        return None
    return context.get(key)


def _get_entries(context: Any) -> list | None:
    if not isinstance(context, Mapping):
        return None
    return [{"key": key, "value": value} for key, value in context.items() if _public(key)]


def _context_put(context: Any, key: Any, value: Any) -> dict | None:
    if not isinstance(context, Mapping) or not isinstance(key, str):
        return None
    return {**context, key: value}


def _context_merge(*contexts: Any) -> dict | None:
    contexts_list = _values(contexts)
    if contexts_list is None or not all(isinstance(c, Mapping) for c in contexts_list):
        return None
    merged: dict = {}
    for context in contexts_list:
        merged.update(context)
    return merged


COLLECTION_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "count": (_on_list(len), 1, 1),
    "is empty": (_on_list(lambda items: not items), 1, 1),
    "sum": (_sum, 1, None),
    "product": (_product, 1, None),
    "mean": (_mean, 1, None),
    "median": (_median, 1, None),
    "min": (_extreme(True), 1, None),
    "max": (_extreme(False), 1, None),
    "all": (_booleans(all_of), 1, None),
    "any": (_booleans(any_of), 1, None),
    "list contains": (_on_list(lambda items, value: _index_of(items, value) >= 0), 2, 2),
    "index of": (_on_list(lambda items, value: [n + 1 for n, item in enumerate(items)
                                                if equal(item, value) is True]), 2, 2),
    "sublist": (_on_list(_sublist), 2, 3),
    "append": (_on_list(lambda items, *more: items + list(more)), 1, None),
    "concatenate": (lambda *lists: _flatten_once(lists), 1, None),
    "insert before": (_on_list(_insert_before), 3, 3),
    "remove": (_on_list(_remove), 2, 2),
    "reverse": (_on_list(lambda items: items[::-1]), 1, 1),
    "distinct values": (_on_list(_distinct), 1, 1),
    "union": (_union, 1, None),
    "flatten": (_on_list(_flatten), 1, 1),
    "sort": (_on_list(_sort), 1, 1),
    "string join": (_on_list(_string_join), 1, 4),
    "get value": (_get_value, 2, 2),
    "get entries": (_get_entries, 1, 1),
    "context put": (_context_put, 3, 3),
    "context merge": (_context_merge, 1, None),
}


def _flatten_once(lists: tuple) -> list | None:
    if not all(is_list(items) for items in lists):
        return None
    return [item for items in lists for item in items]
