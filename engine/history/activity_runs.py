"""Each time an activity ran in an instance, paired from its history: entered, then completed or cancelled.

The history records `activity_entered`, `activity_completed` and `activity_cancelled` by element id; an element
that runs more than once (a loop, multi-instance) pairs its events first in, first out."""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from engine.history.packing import RecordedEvent

ENTERED, COMPLETED, CANCELLED = "activity_entered", "activity_completed", "activity_cancelled"


@dataclass
class ActivityRun:
    entered: RecordedEvent
    ended: RecordedEvent | None = None

    @property
    def canceled(self) -> bool:
        return self.ended is not None and self.ended.type == CANCELLED

    @property
    def id(self) -> str:
        """Stable and unique: the element and the sequence number of the event that entered it."""
        return f"{self.entered.activity_id}:{self.entered.instance_id}:{self.entered.seq}"


def activity_runs(events: list[RecordedEvent]) -> list[ActivityRun]:
    """Every run of an activity, in the order they began."""
    runs: list[ActivityRun] = []
    open_runs: dict[str, deque[ActivityRun]] = defaultdict(deque)
    for event in events:
        if event.type == ENTERED:
            run = ActivityRun(event)
            runs.append(run)
            open_runs[event.activity_id].append(run)
        elif event.type in (COMPLETED, CANCELLED):
            waiting = open_runs[event.activity_id]
            if waiting:
                waiting.popleft().ended = event
            elif event.type == COMPLETED:  # entered before Fuse recorded entries: a run of no known start
                runs.append(ActivityRun(event, event))
    return runs
