"""FEEL's temporal values: parsing ISO 8601 text, arithmetic and properties.

date -> datetime.date, time -> datetime.time, date and time -> datetime.datetime (aware when
the text gives 'Z', an offset or '@Zone/Id'), days-time duration -> datetime.timedelta,
years-months duration -> YearsMonths (a whole number of months: "P1Y2M" is 14 months, since
a month has no fixed length in days).

Promise: parsers return None for text that is no valid value; operators return None for
operands they do not fit (FEEL null). Nothing here raises.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

_DATE = re.compile(r"-?\d{4,}-\d{2}-\d{2}\Z")
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
_ZONE = r"(?P<offset>Z|[+-]\d{2}:\d{2})?(?:@(?P<zone>[A-Za-z][\w/+-]*))?"
_ZONE_TEXT = re.compile(r"(?:(?P<offset>Z|[+-]\d{2}:\d{2})|(?P<zone>[A-Za-z][\w/+-]*))\Z")
_TIME_TEXT = re.compile(rf"(?P<time>{_TIME}){_ZONE}\Z")
_DATE_TIME = re.compile(rf"(?P<date>\d{{4}}-\d{{2}}-\d{{2}})T(?P<time>{_TIME}){_ZONE}\Z")
_DURATION = re.compile(r"(?P<sign>-)?P(?!\Z)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?"
                       r"(?:(?P<days>\d+)D)?(?:T(?!\Z)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
                       r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?\Z")
_SOME_DAY = dt.date(2000, 1, 1)  # times are moved through a datetime on a fixed day


@dataclass(frozen=True, order=True)
class YearsMonths:
    """A years-months duration, kept as its total number of months (may be negative)."""

    months: int

    def __str__(self) -> str:
        sign, months = ("-" if self.months < 0 else ""), abs(self.months)
        years, months = divmod(months, 12)
        text = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return f"{sign}P{text}"


# datetime before date: a datetime is a date to Python, not to FEEL.
_KINDS = ((dt.datetime, "date and time"), (dt.date, "date"), (dt.time, "time"),
          (dt.timedelta, "days and time duration"), (YearsMonths, "years and months duration"))


def kind(value: Any) -> str | None:
    """The FEEL type name of a temporal value, None for anything else."""
    for python_type, name in _KINDS:
        if isinstance(value, python_type):
            return name
    return None


# --- parsing -----------------------------------------------------------------------------------

def _zone(match: re.Match) -> dt.tzinfo | None | bool:
    """The tzinfo a match names: None when it names none, False when it is unknown."""
    if match["zone"]:
        try:
            return ZoneInfo(match["zone"])
        except (ValueError, OSError, KeyError):  # unknown id, or no time zone database
            return False
    if match["offset"] == "Z":
        return dt.timezone.utc
    if match["offset"]:
        sign = -1 if match["offset"][0] == "-" else 1
        hours, minutes = int(match["offset"][1:3]), int(match["offset"][4:6])
        try:
            return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        except ValueError:  # an offset of a day or more
            return False
    return None


def parse_zone(text: str) -> dt.tzinfo | None:
    """'Z', '+02:00' or a zone id such as 'Europe/Berlin'; None if it is none of them."""
    match = _ZONE_TEXT.match(text)
    zone = _zone(match) if match else None
    return zone or None


def parse_date(text: str) -> dt.date | None:
    if not _DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_time(text: str) -> dt.time | None:
    match = _TIME_TEXT.match(text)
    zone = _zone(match) if match else False
    if zone is False:
        return None
    try:
        return dt.time.fromisoformat(match["time"]).replace(tzinfo=zone)
    except ValueError:
        return None


def parse_date_time(text: str) -> dt.datetime | None:
    """'2020-04-06T08:00:00', with 'Z', '+02:00' or '@Europe/Berlin'; a bare date is midnight."""
    if _DATE.match(text):
        day = parse_date(text)
        return None if day is None else dt.datetime.combine(day, dt.time())
    match = _DATE_TIME.match(text)
    zone = _zone(match) if match else False
    if zone is False:
        return None
    try:
        day, time = dt.date.fromisoformat(match["date"]), dt.time.fromisoformat(match["time"])
    except ValueError:
        return None
    return dt.datetime.combine(day, time, tzinfo=zone)


def parse_duration(text: str) -> dt.timedelta | YearsMonths | None:
    """'P2DT3H' -> timedelta, 'P1Y2M' -> YearsMonths; mixing both kinds is invalid FEEL."""
    match = _DURATION.match(text)
    if not match:
        return None
    sign = -1 if match["sign"] else 1
    parts = {name: value for name, value in match.groupdict().items() if value and name != "sign"}
    if not parts:
        return None
    if parts.keys() <= {"years", "months"}:
        return YearsMonths(sign * (int(parts.get("years", 0)) * 12 + int(parts.get("months", 0))))
    if parts.keys() & {"years", "months"}:
        return None
    try:
        return sign * dt.timedelta(weeks=int(parts.get("weeks", 0)), days=int(parts.get("days", 0)),
                                   hours=int(parts.get("hours", 0)), minutes=int(parts.get("minutes", 0)),
                                   seconds=float(parts.get("seconds", 0)))
    except OverflowError:
        return None


def parse_any(text: str) -> Any:
    """An `@"..."` literal: whichever temporal type the text spells."""
    for parse in (parse_duration, parse_date, parse_date_time, parse_time):
        value = parse(text)
        if value is not None:
            return value
    return None


# --- arithmetic --------------------------------------------------------------------------------

def add_months(day: dt.date, months: int) -> dt.date | None:
    """`day` moved by whole months; the 31st becomes the month's last day, as Java does."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return None
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def _shift(value: Any, duration: Any, sign: int) -> Any:
    """A date, time or date and time moved by `sign` times a duration."""
    try:
        if isinstance(duration, YearsMonths):
            return add_months(value, sign * duration.months) if isinstance(value, dt.date) else None
        if isinstance(value, dt.time):
            moved = dt.datetime.combine(_SOME_DAY, value) + sign * duration
            return moved.timetz()
        return value + sign * duration
    except (OverflowError, ValueError, TypeError):
        return None


def add(a: Any, b: Any) -> Any:
    kind_a, kind_b = kind(a), kind(b)
    if kind_a is None or kind_b is None:
        return None
    if kind_a == kind_b and kind_a.endswith("duration"):
        try:
            return a + b if kind_a.startswith("days") else YearsMonths(a.months + b.months)
        except OverflowError:
            return None
    if kind_a.endswith("duration") and not kind_b.endswith("duration"):
        a, b, kind_a, kind_b = b, a, kind_b, kind_a
    if kind_b.endswith("duration") and not kind_a.endswith("duration"):
        return _shift(a, b, 1)
    return None


def subtract(a: Any, b: Any) -> Any:
    kind_a, kind_b = kind(a), kind(b)
    if kind_a is None or kind_b is None:
        return None
    if kind_a == kind_b:
        try:
            if kind_a == "years and months duration":
                return YearsMonths(a.months - b.months)
            if kind_a == "time":
                return dt.datetime.combine(_SOME_DAY, a) - dt.datetime.combine(_SOME_DAY, b)
            return a - b
        except (TypeError, OverflowError):  # naive minus aware, or out of range
            return None
    if kind_b.endswith("duration") and not kind_a.endswith("duration"):
        return _shift(a, b, -1)
    return None


def multiply(a: Any, b: Any) -> Any:
    if kind(a) is None:
        a, b = b, a
    if not _is_number(b):
        return None
    try:
        if isinstance(a, dt.timedelta):
            return a * float(b)
        if isinstance(a, YearsMonths):
            return YearsMonths(int(a.months * float(b)))
    except (OverflowError, ValueError):
        return None
    return None


def divide(a: Any, b: Any) -> Any:
    try:
        if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
            return None if not b else _whole(a / b)
        if isinstance(a, YearsMonths) and isinstance(b, YearsMonths):
            return None if not b.months else _whole(a.months / b.months)
        if not _is_number(b) or not b:
            return None
        if isinstance(a, dt.timedelta):
            return a / float(b)
        if isinstance(a, YearsMonths):
            return YearsMonths(int(a.months / b))
    except (OverflowError, ValueError, TypeError):
        return None
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _whole(number: float) -> int | float:
    return int(number) if number.is_integer() else number


def negate(a: Any) -> Any:
    if isinstance(a, dt.timedelta):
        return -a if a != dt.timedelta.min else None  # the one duration without a negative
    if isinstance(a, YearsMonths):
        return YearsMonths(-a.months)
    return None


# --- properties -------------------------------------------------------------------------------

def duration_parts(value: dt.timedelta) -> tuple[int, int, int, int, int]:
    """Sign and normalized days, hours, minutes, seconds (each part carries the sign)."""
    sign = -1 if value < dt.timedelta(0) else 1
    seconds = int(abs(value).total_seconds())
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return sign, days, hours, minutes, seconds


def get_property(value: Any, name: str) -> Any:
    """`d.year`, `t.hour`, `dur.days`, ... ; None for a property the value does not have."""
    if isinstance(value, dt.date) and name in ("year", "month", "day"):
        return getattr(value, name)
    if isinstance(value, dt.date) and name == "weekday":
        return value.isoweekday()
    if isinstance(value, (dt.datetime, dt.time)) and name in ("hour", "minute", "second"):
        return getattr(value, name)
    if isinstance(value, dt.timedelta) and name in ("days", "hours", "minutes", "seconds"):
        sign, *parts = duration_parts(value)
        return sign * parts[("days", "hours", "minutes", "seconds").index(name)]
    if isinstance(value, YearsMonths) and name in ("years", "months"):
        sign = -1 if value.months < 0 else 1
        years, months = divmod(abs(value.months), 12)
        return sign * (years if name == "years" else months)
    return None
