"""What a FEEL expression may reach inside values, and the scopes its names resolve in.

Promise: nothing whose name starts with '_' is ever reachable (no dunders, no private keys);
only contexts (mappings), lists and the documented temporal properties are looked into,
never attributes of arbitrary Python objects. A missing key, a property a value does not
have and an index outside a list all give null, as FEEL wants.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Iterator

from bpmn.expressions import budget as budgets
from bpmn.expressions import feel_temporal as temporal
from bpmn.expressions.feel_values import Range, equal, in_range, is_list, is_number, whole

_MISSING = object()


class Scope(Mapping):
    """Names bound by a context literal, filter or iteration, in front of their parent scope."""

    __slots__ = ("names", "parent")

    def __init__(self, names: dict, parent: Mapping[str, Any]):
        self.names = names
        self.parent = parent

    def get(self, name: str, default: Any = None) -> Any:
        value = self.names.get(name, _MISSING)
        return self.parent.get(name, default) if value is _MISSING else value

    def __getitem__(self, name: str) -> Any:
        value = self.get(name, _MISSING)
        if value is _MISSING:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        yield from self.names
        yield from (name for name in self.parent if name not in self.names)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def is_private(name: Any) -> bool:
    return isinstance(name, str) and name.startswith("_")


def get_path(base: Any, key: str) -> Any:
    """`base.key`: a context entry, a temporal property, or, on a list, each element's `key`."""
    if base is None or is_private(key):
        return None
    if isinstance(base, Mapping):
        return base.get(key)
    if is_list(base):
        return [get_path(item, key) for item in base]
    return temporal.get_property(base, key)


def item_scope(item: Any, parent: Mapping[str, Any]) -> Scope:
    """The scope of a filter condition: `item`, plus the item's own entries if it is a context."""
    if isinstance(item, Mapping):
        names = {key: value for key, value in item.items() if isinstance(key, str) and not is_private(key)}
        names["item"] = item
        return Scope(names, parent)
    return Scope({"item": item}, parent)


def index(items: Any, position: Any) -> Any:
    """`items[position]`: 1-based, negative counts from the end, outside the list is null."""
    if not is_list(items):
        items = [items]
    position = whole(position)
    if position is None:
        return None
    if 0 < position <= len(items):
        return items[position - 1]
    if -len(items) <= position < 0:
        return items[position]
    return None


def select(items: Any, condition: Callable[[Mapping], Any], variables: Mapping[str, Any]) -> Any:
    """`items[condition]`: the elements for which it is true, or, if it is a number, an index.

    FEEL decides by the condition's value; it is evaluated for the first element to find
    out, so `list[i]` (a variable holding a number) indexes while `list[item > i]` filters.
    """
    if items is None:
        return None
    if not is_list(items):
        items = [items]  # FEEL treats a single value as a list of one
    if not items:
        return None if is_number(condition(item_scope(None, variables))) else []
    selected, budget = [], budgets.current()
    for position, item in enumerate(items):
        budget.step()  # a filter inside a loop runs once per iteration
        outcome = condition(item_scope(item, variables))
        if position == 0 and is_number(outcome):
            return index(items, outcome)
        if outcome is True:
            selected.append(item)
    return selected


def matches_test(value: Any, test: Any) -> bool | None:
    """`value in test` for a test that is a value: in a range, in a list, or equal."""
    if isinstance(test, Range):
        return in_range(value, test)
    if is_list(test):
        return any(matches_test(value, element) is True for element in test)
    return equal(value, test)


Iteration = tuple[str, Callable[[Mapping], Any], Callable[[Mapping], Any] | None]


class NullSource(Exception):
    """An iteration's list was null: the whole for/some/every expression is null."""


def bindings(iterations: list[Iteration], variables: Mapping[str, Any], pos: int) -> Iterator[Scope]:
    """One scope per combination of the iterations' elements (`for x in a, y in b`), each counted
    against the evaluation's budget, which nested loops share (so they cannot multiply a cap)."""
    budget = budgets.current()

    def walk(step: int, scope: Mapping[str, Any]) -> Iterator[Scope]:
        name, source, end = iterations[step]
        for element in _elements(source(scope), end(scope) if end is not None else _MISSING):
            budget.step(1, pos)
            inner = Scope({name: element}, scope)
            if step + 1 == len(iterations):
                yield inner
            else:
                yield from walk(step + 1, inner)

    return walk(0, variables)


def _elements(start: Any, end: Any) -> Any:
    if end is not _MISSING:  # `for i in 1..3`: whole numbers, counting down if end < start
        start, end = whole(start), whole(end)
        if start is None or end is None:
            raise NullSource()
        return range(start, end + 1) if start <= end else range(start, end - 1, -1)
    if start is None:
        raise NullSource()
    return start if is_list(start) else [start]


def for_loop(iterations: list[Iteration], body: Callable[[Mapping], Any],
             pos: int) -> Callable[[Mapping], Any]:
    """`for x in a, y in b return body`: the list of the body's values, null if a list is null."""
    def for_(variables: Mapping[str, Any]) -> Any:
        try:
            return [body(scope) for scope in bindings(iterations, variables, pos)]
        except NullSource:
            return None
    return for_


def quantifier(iterations: list[Iteration], condition: Callable[[Mapping], Any], pos: int,
               wanted: bool) -> Callable[[Mapping], Any]:
    """`some` (wanted=True) stops at the first true condition, `every` at the first one not true."""
    def quantified(variables: Mapping[str, Any]) -> Any:
        try:
            for scope in bindings(iterations, variables, pos):
                if (condition(scope) is True) is wanted:
                    return wanted
            return not wanted
        except NullSource:
            return None
    return quantified
