"""How often, and how far apart, a failing handler is tried before an incident opens."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

DEFAULT_TRIES = 3
DEFAULT_FIRST_DELAY = timedelta(seconds=2)  # then doubled: 2 s, 4 s, ...
CYCLE = re.compile(r"^R(\d+)/(P.+)$")
DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


@dataclass(frozen=True)
class RetryPolicy:
    tries: int
    first_delay: timedelta
    backoff: float  # factor between delays (1 = fixed interval)

    def delay_after(self, attempt: int) -> timedelta:
        """The wait before try `attempt + 1`."""
        return self.first_delay * (self.backoff ** (attempt - 1))


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(text.strip())
    if not match or not any(match.groups()):
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as PT10S")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def retry_policy(extensions: dict) -> RetryPolicy:
    """camunda:failedJobRetryTimeCycle "R3/PT10S" (3 tries, 10 s apart), zeebe:taskDefinition
    retries (that many tries, growing delays), or 3 tries 2 s and 4 s apart."""
    if cycle := extensions.get("retry_time_cycle"):
        match = CYCLE.match(cycle.strip())
        if not match:
            raise ValueError(f"failedJobRetryTimeCycle '{cycle}' is not of the form R3/PT10S")
        return RetryPolicy(max(1, int(match.group(1))), parse_duration(match.group(2)), 1.0)
    retries = (extensions.get("handler") or {}).get("retries")
    if retries:
        return RetryPolicy(max(1, int(retries)), DEFAULT_FIRST_DELAY, 2.0)
    return RetryPolicy(DEFAULT_TRIES, DEFAULT_FIRST_DELAY, 2.0)
