"""Text stored deflated: an instance's SpiffWorkflow state is JSON that repeats its keys in every task, so zlib
stores it in about a quarter of the bytes (2.5 KB -> 0.6 KB for an instance waiting at one user task).

Python sees a str either way. Rows written before compression hold the JSON itself (as text on SQLite, as UTF-8
bytes on PostgreSQL after migration 0020); they are read as they are, told apart by their first byte: JSON
starts with `{`, a zlib stream with 0x78.
"""
from __future__ import annotations

import zlib

from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

# zlib's level 6: within a few percent of level 9's size at a third of its time on these documents.
LEVEL = 6
ZLIB_FIRST_BYTE = 0x78


class CompressedText(TypeDecorator):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> bytes | None:
        if value is None:
            return None
        return zlib.compress(value.encode(), LEVEL) if value else b""

    def process_result_value(self, value: bytes | str | None, dialect) -> str | None:
        if value is None or isinstance(value, str):  # NULL, or JSON written as text before compression (SQLite)
            return value
        value = bytes(value)  # psycopg gives a memoryview
        if value[:1] == bytes([ZLIB_FIRST_BYTE]):
            return zlib.decompress(value).decode()
        return value.decode()
