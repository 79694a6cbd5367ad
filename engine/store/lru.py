"""A bounded, thread-safe map that forgets the least recently used entry first: the per-process caches of things
that never change once made (definition rows, specs), shared by a process's threads."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

Value = TypeVar("Value")
MISSING = object()


class LruCache(Generic[Value]):
    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default=MISSING):
        """The value of `key` (now the most recently used), else `default`."""
        with self._lock:
            value = self._values.get(key, MISSING)
            if value is MISSING:
                return default
            self._values.move_to_end(key)
            return value

    def keep(self, key: Hashable, value: Value) -> Value:
        """Keep `value` for `key` unless another thread kept one first; the value kept."""
        with self._lock:
            value = self._values.setdefault(key, value)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
            return value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values
