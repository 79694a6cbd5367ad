"""FEEL's built-in conversion and temporal functions: `string`, `number`, `date`, `time`,
`date and time`, `duration`, `years and months duration`, `now`, `today`, `day of week`, ...
and Camunda 8's `last day of month`.

Promise, as FEEL wants it: text that is no valid value and arguments of the wrong type give
null rather than raising (Python's ValueError for, say, month 13 is turned into null by the
caller, as for every built-in).
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from typing import Any, Callable

from bpmn.expressions import feel_temporal as temporal
from bpmn.expressions.feel_text import to_text
from bpmn.expressions.feel_values import is_number, tidy, whole

_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def _strings(*values: Any) -> bool:
    return all(isinstance(value, str) for value in values)


def _number(text: Any, grouping: Any = None, decimal_sep: Any = None) -> Any:
    if is_number(text):
        return text
    if not _strings(text) or not (grouping is None or _strings(grouping)) \
            or not (decimal_sep is None or _strings(decimal_sep)):
        return None
    if grouping:
        text = text.replace(grouping, "")
    if decimal_sep:
        text = text.replace(decimal_sep, ".")
    if not _NUMBER_TEXT.match(text.strip()):
        return None
    value = float(text) if any(c in text for c in ".eE") else int(text)
    return tidy(value) if math.isfinite(value) else None


def _date(value: Any, month: Any = None, day: Any = None) -> dt.date | None:
    if month is not None or day is not None:
        parts = [whole(value), whole(month), whole(day)]
        return None if None in parts else dt.date(*parts)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return temporal.parse_date(value) if isinstance(value, str) else None


def _time(value: Any, minute: Any = None, second: Any = None, offset: Any = None) -> dt.time | None:
    if minute is not None or second is not None:
        parts = [whole(value), whole(minute), second]
        if None in parts or not is_number(second):
            return None
        moment = dt.datetime.combine(dt.date(2000, 1, 1), dt.time(parts[0], parts[1])) \
            + dt.timedelta(seconds=float(second))
        zone = dt.timezone(offset) if isinstance(offset, dt.timedelta) else None
        return moment.time().replace(tzinfo=zone)
    if isinstance(value, dt.datetime):
        return value.timetz()
    if isinstance(value, dt.time):
        return value
    return temporal.parse_time(value) if isinstance(value, str) else None


def _date_and_time(value: Any, time_or_zone: Any = None) -> dt.datetime | None:
    if time_or_zone is None:
        if isinstance(value, dt.datetime):
            return value
        return temporal.parse_date_time(value) if isinstance(value, str) else None
    if isinstance(value, dt.date) and isinstance(time_or_zone, dt.time):
        return dt.datetime.combine(value, time_or_zone, tzinfo=time_or_zone.tzinfo)
    if isinstance(value, dt.datetime) and isinstance(time_or_zone, str):
        zone = temporal.parse_zone(time_or_zone)
        if zone is None:
            return None
        # A local date and time gets the zone; one in another zone is converted to it.
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
    return None


def _duration(value: Any) -> Any:
    if isinstance(value, (dt.timedelta, temporal.YearsMonths)):
        return value
    return temporal.parse_duration(value) if isinstance(value, str) else None


def _years_and_months(start: Any, end: Any) -> temporal.YearsMonths | None:
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)):
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    # A month only counts once its day (and time) has come round again, as Java's Period does.
    if months > 0 and (end.day, _clock(end)) < (start.day, _clock(start)):
        months -= 1
    elif months < 0 and (end.day, _clock(end)) > (start.day, _clock(start)):
        months += 1
    return temporal.YearsMonths(months)


def _clock(value: dt.date) -> dt.time:
    return value.time() if isinstance(value, dt.datetime) else dt.time()


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


def _last_day_of_month(value: dt.date) -> dt.date:
    return dt.date(value.year, value.month, calendar.monthrange(value.year, value.month)[1])


def _on_date(op: Callable[[dt.date], Any]) -> Callable[[Any], Any]:
    return lambda value: op(value) if isinstance(value, dt.date) else None


CONVERSION_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "string": (to_text, 1, 1),
    "number": (_number, 1, 3),
    "date": (_date, 1, 3),
    "time": (_time, 1, 4),
    "date and time": (_date_and_time, 1, 2),
    "duration": (_duration, 1, 1),
    "years and months duration": (_years_and_months, 2, 2),
    "now": (lambda: dt.datetime.now(dt.timezone.utc), 0, 0),
    # UTC, like now(): a server's own time zone is an accident of where it runs.
    "today": (lambda: dt.datetime.now(dt.timezone.utc).date(), 0, 0),
    "day of week": (_on_date(lambda d: _DAY_NAMES[d.weekday()]), 1, 1),
    "day of year": (_on_date(lambda d: d.timetuple().tm_yday), 1, 1),
    "week of year": (_on_date(lambda d: d.isocalendar()[1]), 1, 1),
    "month of year": (_on_date(lambda d: _MONTH_NAMES[d.month - 1]), 1, 1),
    "last day of month": (_on_date(_last_day_of_month), 1, 1),
}
