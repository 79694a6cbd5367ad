"""FEEL's built-in list functions (`count`, `sum`, `list contains`, `stddev`, ...), with
Camunda 8's `and`/`or` spellings, `is empty`, `duplicate values` and `partition`.

Promise, as FEEL wants it: wrong argument types (a number where a list belongs, a string in
`sum`) give null rather than raising. Elements are compared with FEEL equality, so that
`list contains([1], true)` is false where Python's `in` would say true. No function builds more
than a copy of its arguments, and none takes quadratic time over elements that can be hashed.
"""
from __future__ import annotations

import math
import statistics
from typing import Any, Callable

from bpmn.expressions.feel_values import MAX_TEXT, add, all_of, any_of, divide, equal, is_list, \
    is_number, kind, less, multiply, tidy, to_decimal, whole


def list_arguments(args: tuple) -> list | None:
    """The list of a list-or-varargs function: `sum([1, 2])` and `sum(1, 2)` mean the same."""
    if len(args) == 1 and is_list(args[0]):
        return list(args[0])
    if len(args) == 1 and args[0] is None:
        return None
    return list(args)


def _numbers(args: tuple) -> list | None:
    values = list_arguments(args)
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


# --- statistics --------------------------------------------------------------------------------

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


def _stddev(*args: Any) -> Any:
    """The sample standard deviation; null for fewer than two numbers."""
    numbers = _numbers(args)
    if not numbers or len(numbers) < 2:
        return None
    deviation = statistics.stdev([float(number) for number in numbers])
    return tidy(deviation) if math.isfinite(deviation) else None


def _mode(*args: Any) -> list | None:
    """The most frequent numbers, ascending (several when they are equally frequent)."""
    numbers = _numbers(args)
    if numbers is None:
        return None
    tally = _tally(numbers)
    most = max((count for _, count in tally), default=0)
    return sorted(number for number, count in tally if count == most)


def _extreme(wanted: bool) -> Callable[..., Any]:
    """min (wanted=True: keep the smaller) or max; values must be mutually comparable."""
    def pick(*args: Any) -> Any:
        values = list_arguments(args)
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


def _booleans(combine: Callable[[list], Any]) -> Callable[..., Any]:
    return lambda *args: None if (values := list_arguments(args)) is None else combine(values)


# --- positions ---------------------------------------------------------------------------------

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


def _replace_at(items: list, position: Any, value: Any) -> list | None:
    at = _offset(items, position)
    return None if at is None else items[:at] + [value] + items[at + 1:]


def _partition(items: list, size: Any) -> list | None:
    length = whole(size)
    if length is None or length <= 0:
        return None
    return [items[start:start + length] for start in range(0, len(items), length)]


# --- equal elements ----------------------------------------------------------------------------

def _key(item: Any) -> Any:
    """A hashable stand-in, equal exactly when FEEL calls two items equal; None for a value that
    holds something unhashable (such values are compared one by one)."""
    item_kind = kind(item)
    if item_kind == "number":
        return item_kind, to_decimal(item)  # 1, 1.0 and Decimal("1") are one number
    if item_kind == "list":
        keys = [_key(element) for element in item]
        return None if None in keys else (item_kind, tuple(keys))
    if item_kind == "context":
        entries = [(name, _key(value)) for name, value in item.items()]
        return None if any(key is None for _, key in entries) else (item_kind, frozenset(entries))
    try:
        hash(item)
    except TypeError:
        return None
    return item_kind, item  # the kind keeps true apart from 1


def _tally(items: list) -> list[list]:
    """[item, how often it occurs] for each distinct item, in order of first appearance."""
    entries: list[list] = []
    by_key: dict = {}
    unhashable: list[list] = []
    for item in items:
        key = _key(item)
        if key is None:
            entry = next((known for known in unhashable if equal(known[0], item) is True), None)
        else:
            entry = by_key.get(key)
        if entry is None:
            entry = [item, 0]
            entries.append(entry)
            if key is None:
                unhashable.append(entry)
            else:
                by_key[key] = entry
        entry[1] += 1
    return entries


def _distinct(items: list) -> list:
    return [item for item, _ in _tally(items)]


def _duplicates(items: list) -> list:
    return [item for item, count in _tally(items) if count > 1]


def _union(*lists: Any) -> list | None:
    if not all(is_list(items) for items in lists):
        return None
    return _distinct([item for items in lists for item in items])


# --- shape -------------------------------------------------------------------------------------

def _flatten(items: list) -> list:
    flat: list = []
    for item in items:
        flat.extend(_flatten(list(item)) if is_list(item) else [item])
    return flat


def _flatten_once(lists: tuple) -> list | None:
    if not all(is_list(items) for items in lists):
        return None
    return [item for items in lists for item in items]


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
    length = sum(map(len, texts)) + len(delimiter) * max(len(texts) - 1, 0) + len(prefix) + len(suffix)
    return prefix + delimiter.join(texts) + suffix if length <= MAX_TEXT else None


LIST_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "count": (_on_list(len), 1, 1),
    "is empty": (_on_list(lambda items: not items), 1, 1),
    "sum": (_sum, 1, None),
    "product": (_product, 1, None),
    "mean": (_mean, 1, None),
    "median": (_median, 1, None),
    "stddev": (_stddev, 1, None),
    "mode": (_mode, 1, None),
    "min": (_extreme(True), 1, None),
    "max": (_extreme(False), 1, None),
    "all": (_booleans(all_of), 1, None),
    "any": (_booleans(any_of), 1, None),
    "and": (_booleans(all_of), 1, None),  # DMN 1.1's names for all and any, still read by Camunda
    "or": (_booleans(any_of), 1, None),
    "list contains": (_on_list(lambda items, value: _index_of(items, value) >= 0), 2, 2),
    "index of": (_on_list(lambda items, value: [n + 1 for n, item in enumerate(items)
                                                if equal(item, value) is True]), 2, 2),
    "sublist": (_on_list(_sublist), 2, 3),
    "append": (_on_list(lambda items, *more: items + list(more)), 1, None),
    "concatenate": (lambda *lists: _flatten_once(lists), 1, None),
    "insert before": (_on_list(_insert_before), 3, 3),
    "remove": (_on_list(_remove), 2, 2),
    "list replace": (_on_list(_replace_at), 3, 3),
    "reverse": (_on_list(lambda items: items[::-1]), 1, 1),
    "distinct values": (_on_list(_distinct), 1, 1),
    "duplicate values": (_on_list(_duplicates), 1, 1),
    "union": (_union, 1, None),
    "flatten": (_on_list(_flatten), 1, 1),
    "partition": (_on_list(_partition), 2, 2),
    "sort": (_on_list(_sort), 1, 1),
    "string join": (_on_list(_string_join), 1, 4),
}
