"""One page of a query's rows with the total count: every paged list (instances, tasks) answers this way."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

Row = TypeVar("Row")


@dataclass
class Page(Generic[Row]):
    items: list[Row]
    total: int
    page: int
    per_page: int


def page_of(session: Session, query: Select, page: int, per_page: int) -> Page:
    """Rows `(page - 1) * per_page` onwards of an ordered query, and how many rows it has in all."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = session.scalars(query.offset((page - 1) * per_page).limit(per_page))
    return Page(list(items), total, page, per_page)


def count_of(session: Session, query: Select) -> int:
    """How many rows a query has."""
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def window(session: Session, query: Select, first: int = 0, most: int | None = None) -> list:
    """Rows `first` onwards of an ordered query, at most `most` of them (all when None): offset paging."""
    if most == 0:
        return []
    query = query.offset(first) if first else query
    return list(session.scalars(query.limit(most) if most is not None else query))
