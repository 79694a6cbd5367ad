"""Camunda 7's query parameters: booleans as true/false, paging by firstResult/maxResults, sortBy with sortOrder."""
from __future__ import annotations

from flask import request

import re
from datetime import UTC, datetime

from api.camunda7.blueprint import invalid
from api.camunda7.variables import parse_date


def flag(name: str) -> bool:
    """A boolean query parameter: true or false (absent: false)."""
    value = request.args.get(name)
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise invalid(f"Cannot set query parameter '{name}' to value '{value}': expected true or false")
    return value.lower() == "true"


def optional_flag(name: str) -> bool | None:
    return flag(name) if name in request.args else None


def integer(name: str) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise invalid(f"Cannot set query parameter '{name}' to value '{value}': expected an integer") from None
    if number < 0:
        raise invalid(f"Cannot set query parameter '{name}' to value '{value}': it must not be negative")
    return number


def paging() -> tuple[int, int | None]:
    """(firstResult, maxResults): where a page starts and how long it is at most (None: no limit)."""
    return integer("firstResult") or 0, integer("maxResults")


def sorting() -> tuple[str | None, bool]:
    """(sortBy, descending); Camunda wants both parameters or neither."""
    sort_by, order = request.args.get("sortBy"), request.args.get("sortOrder")
    if (sort_by is None) != (order is None):
        raise invalid("Only a single sorting parameter specified. sortBy and sortOrder required")
    if order is not None and order not in ("asc", "desc"):
        raise invalid(f"Cannot set query parameter 'sortOrder' to value '{order}': expected asc or desc")
    return sort_by, order == "desc"


def text(name: str) -> str | None:
    return request.args.get(name)


def text_list(name: str) -> list[str] | None:
    """A comma-separated list parameter (Camunda's processInstanceIds=a,b)."""
    value = request.args.get(name)
    return None if value is None else [part for part in value.split(",") if part]


def date(name: str) -> datetime | None:
    """A date parameter in Camunda's format (yyyy-MM-dd'T'HH:mm:ss.SSSZ), as naive UTC like Fuse's columns."""
    value = request.args.get(name)
    if value is None:
        return None
    try:
        moment = parse_date(value)
    except ValueError:
        raise invalid(f"Cannot set query parameter '{name}' to value '{value}': "
                      "expected a date in the format yyyy-MM-dd'T'HH:mm:ss.SSSZ") from None
    return moment.astimezone(UTC).replace(tzinfo=None)


MAX_WILDCARDS = 5  # a LIKE pattern's `%`: each one multiplies what a match may try (SQLite, names in Python)


def pattern(name: str) -> str | None:
    """A LIKE pattern parameter (Camunda's *Like): runs of % count as one, and at most MAX_WILDCARDS, so a
    hostile pattern cannot make a match take long."""
    value = request.args.get(name)
    if value is None:
        return None
    value = re.sub("%+", "%", value)
    if value.count("%") > MAX_WILDCARDS:
        raise invalid(f"Cannot set query parameter '{name}' to value '{value}': at most {MAX_WILDCARDS} wildcards %")
    return value


def ids(list_name: str, single_name: str) -> list[str] | None:
    """Camunda's pair of a list parameter and its one-value form (processInstanceIdIn and processInstanceId):
    every value either gives, None when neither is given."""
    values = [*(text_list(list_name) or []), *([one] if (one := request.args.get(single_name)) else [])]
    return values or None
