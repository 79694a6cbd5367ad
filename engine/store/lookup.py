"""Loading one row by id, or NotFound with a message a caller can read."""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from engine.errors import NotFound

Row = TypeVar("Row")


def get_or_raise(session: Session, model: type[Row], row_id: str, what: str) -> Row:
    """The row of `model` with this id; NotFound naming `what` ("task", "deployment") otherwise."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} does not exist")
    return row
