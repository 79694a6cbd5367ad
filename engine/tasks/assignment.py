"""Who may work on a user task and when it is due, resolved from the model when the task starts."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from bpmn.expressions.juel import is_juel
from engine.store.models import utcnow
from engine.scripting.script_engine import evaluate

ISO_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$")


class AssignmentError(Exception):
    """An assignee, candidate or due-date attribute could not be resolved."""


@dataclass
class Assignment:
    assignee: str | None = None
    candidate_users: list[str] = field(default_factory=list)
    candidate_groups: list[str] = field(default_factory=list)
    due: datetime | None = None
    follow_up: datetime | None = None
    priority: int | None = None


def _value(text: str | None, variables: Mapping) -> Any:
    """Literal text stays text; `${...}` is evaluated against the task's variables."""
    if text is None or not text.strip():
        return None
    if is_juel(text.strip()) or text.strip().startswith("="):
        try:
            return evaluate(text, variables)
        except Exception as err:  # noqa: BLE001 - any failure is the model's, report it plainly
            raise AssignmentError(f"cannot resolve '{text}': {err}") from None
    return text.strip()


def _names(items: list[str] | str, variables: Mapping) -> list[str]:
    """Names from a list of texts or expressions, or from one expression (Camunda 8)."""
    names: list[str] = []
    for item in [items] if isinstance(items, str) else items:
        value = _value(item, variables)
        if isinstance(value, (list, tuple, set)):
            names.extend(str(v) for v in value)
        elif isinstance(value, str):
            names.extend(part.strip() for part in value.split(",") if part.strip())
        elif value is not None:
            names.append(str(value))
    return sorted(set(names))


def parse_due(value: Any, now: datetime | None = None) -> datetime | None:
    """A due date from a datetime, an ISO 8601 date-time, or an ISO 8601 duration from now."""
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).strip()
    if match := ISO_DURATION.match(text):
        parts = {k: float(v) for k, v in match.groupdict().items() if v}
        return (now or utcnow()) + timedelta(**parts)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AssignmentError(f"due date '{text}' is neither an ISO 8601 date-time nor a duration") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def resolve_assignment(raw: dict, variables: Mapping) -> Assignment:
    """Evaluate a user task's `assignment` attributes (see bpmn.specs.UserTask)."""
    assignee = _value(raw.get("assignee"), variables)
    return Assignment(
        assignee=str(assignee) if assignee is not None else None,
        candidate_users=_names(raw.get("candidate_users") or [], variables),
        candidate_groups=_names(raw.get("candidate_groups") or [], variables),
        due=parse_due(_value(raw.get("due_date"), variables)),
        follow_up=parse_due(_value(raw.get("follow_up_date"), variables)),
        priority=_priority(_value(raw.get("priority"), variables)),
    )


def _priority(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AssignmentError(f"priority '{value}' is not a whole number") from None
