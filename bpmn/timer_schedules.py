"""When a timer start event fires: ISO 8601 dates, durations and repeating intervals, and cron.

Camunda 7 writes cron in its timeCycle (Quartz syntax, seconds first: `0 0/5 * * * ?`) and Camunda 8
accepts cron there too; ISO 8601 is `R3/PT10M`, `R/2026-01-01T08:00:00Z/P1D` or a date. Times are
naive UTC, as everywhere in the engine.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from croniter import croniter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

FOREVER = -1
# Camunda writes timer values bare (PT5M, R3/PT10S, 2026-12-01T10:00:00Z): text of this shape is a literal,
# anything else an expression.
ISO_8601_LITERAL = re.compile(
    r"^(R\d*/)?(P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)(/.*)?$")


class ScheduleError(ValueError):
    """A timer expression no schedule can be made of."""


@dataclass(frozen=True)
class Schedule:
    """A timer start event's firings: the first one, and how to find the one after."""

    first: datetime
    remaining: int = 1  # firings left, the first included; FOREVER repeats without end
    interval_s: float | None = None  # ISO repeating intervals
    cron: str | None = None

    def as_json(self) -> dict:
        return {"remaining": self.remaining, "interval_s": self.interval_s, "cron": self.cron}


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def is_iso8601_literal(text: str) -> bool:
    return bool(ISO_8601_LITERAL.match(text))


def is_cron(expression: str) -> bool:
    return len(expression.split()) >= 5


def _cron_fields(expression: str) -> tuple[str, bool]:
    """Quartz cron (seconds first, optional year) as croniter reads it, and whether seconds lead."""
    fields = expression.split()
    if len(fields) == 7:  # Quartz's optional year field: croniter has none
        if fields[6] not in ("*", "?"):
            raise ScheduleError(f"cron year field {fields[6]!r} is not supported; use * or leave it out")
        fields = fields[:6]
    return " ".join(fields), len(fields) == 6


def _next_cron(expression: str, after: datetime) -> datetime:
    text, seconds_first = _cron_fields(expression)
    try:
        return croniter(text, after, second_at_beginning=seconds_first).get_next(datetime)
    except (ValueError, KeyError) as err:
        raise ScheduleError(f"invalid cron expression {expression!r}: {err}") from None


def schedule_for(kind: str, value: object, now: datetime) -> Schedule:
    """The schedule of a timer start event whose (evaluated) expression is `value`."""
    if isinstance(value, datetime):
        return Schedule(_utc_naive(value))
    text = str(value).strip()
    try:
        if kind == "cycle" and is_cron(text):
            return Schedule(_next_cron(text, now), FOREVER, cron=text)
        if kind == "cycle":
            cycles, start, interval = TimerEventDefinition.parse_iso_recurring_interval(text)
            return Schedule(_utc_naive(start), cycles, interval_s=interval.total_seconds())
        if kind == "duration":
            parsed = TimerEventDefinition.parse_iso_duration(text)
            return Schedule(now + TimerEventDefinition.get_timedelta_from_start(parsed, now))
        return Schedule(_utc_naive(TimerEventDefinition.get_datetime(text.replace("Z", "+00:00"))))
    except ScheduleError:
        raise
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow's parsers raise bare Exceptions
        raise ScheduleError(f"invalid time {kind} {text!r}: {err or type(err).__name__}") from None


def following(schedule: dict, fired_at: datetime, now: datetime) -> datetime | None:
    """When a repeating schedule (as stored by `as_json`) fires after the firing due at `fired_at`;
    None when it is used up. Firings missed while no worker ran are skipped, not caught up."""
    remaining = schedule.get("remaining", 1)
    if remaining != FOREVER and remaining <= 1:
        return None
    if schedule.get("cron"):
        return _next_cron(schedule["cron"], max(fired_at, now))
    step = timedelta(seconds=schedule["interval_s"] or 0)
    if step <= timedelta(0):
        return None
    due = fired_at + step
    if due < now:
        due += step * ((now - due) // step + 1)
    return due
