"""Feeding a human decision back as a labelled example: one (text, label) row appended to a training CSV.

The CSV has a `text,label` header (the one samples/ai-confidence-loop/train.py reads). Rows are written with the
csv module, so commas, quotes and line breaks in a text stay one field, and appends from several workers are
serialised by a lock on the file.
"""
from __future__ import annotations

import csv
import fcntl
import io
import os
from pathlib import Path

HEADER = ("text", "label")


def append_labelled_example(csv_path: str | os.PathLike, text: str, label: str) -> None:
    """Append (text, label) to the CSV at `csv_path`, creating it with its header if it does not exist."""
    text, label = _cleaned(text, "text"), _cleaned(label, "label")
    with Path(csv_path).open("a+b") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # also released when the file closes
        try:
            file.write(_csv_rows(_rows_to_append(file, text, label)).encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def _rows_to_append(file, text: str, label: str) -> list[tuple[str, ...]]:
    """The header too when the file is empty; a line break first when a hand edit left the last line open."""
    size = file.seek(0, os.SEEK_END)
    if size == 0:
        return [HEADER, (text, label)]
    file.seek(size - 1)
    ends_open = file.read(1) not in (b"\n", b"\r")
    return ([()] if ends_open else []) + [(text, label)]


def _csv_rows(rows: list[tuple[str, ...]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _cleaned(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"a labelled example needs a non-empty {what}, not {value!r}")
    return value.strip()


DEFAULT_FEEDBACK_PATH = "feedback.csv"


def handle(inputs: dict, context) -> dict:
    """The `ai-feedback` handler: a person's decision becomes a labelled example for the next training.

    Inputs: `text`, `label`; the file is `path` (input or task property), else FUSE_FEEDBACK_PATH,
    else feedback.csv in the working directory (a deployed file is read-only, so never that).
    """
    path = inputs.get("path") or context.config.get("path") or os.environ.get("FUSE_FEEDBACK_PATH") \
        or DEFAULT_FEEDBACK_PATH
    append_labelled_example(path, inputs.get("text", ""), inputs.get("label", ""))
    context.record("feedback_recorded", {"label": inputs.get("label"), "file": str(path)})
    return {"feedback_recorded": True}
