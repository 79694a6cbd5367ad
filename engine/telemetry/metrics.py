"""Metrics measured in this process as work happens: activity and handler durations, handler errors.

They live in prometheus-client's default registry, beside its process and Python collectors, and
count what THIS process did (the API and its embedded worker; a separate `fuse worker` keeps its
own, see `fuse worker --metrics-port`). Counts that must hold across processes (instances, tasks,
incidents, jobs) are read from the database at scrape time instead (engine.reports.metrics_collector).
"""
from __future__ import annotations

from functools import lru_cache

from prometheus_client import REGISTRY, Counter, Histogram, disable_created_metrics

# `*_created` series (when each labelled series first appeared) only double what a scrape shows.
disable_created_metrics()
# From 5 ms to a day: script steps take microseconds, a user task may wait for days (the last
# bucket, +Inf, holds those).
ACTIVITY_BUCKETS = (0.005, 0.025, 0.1, 0.5, 1, 5, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

ACTIVITY_SECONDS = Histogram(
    "fuse_activity_duration_seconds", "Time from entering to completing an activity (measured in this process)",
    ["definition_key", "activity_id"], buckets=ACTIVITY_BUCKETS, registry=REGISTRY)
HANDLER_SECONDS = Histogram(
    "fuse_handler_duration_seconds", "Time a service-task handler took per call, whatever its outcome",
    ["handler"], buckets=HANDLER_BUCKETS, registry=REGISTRY)
HANDLER_ERRORS = Counter(
    "fuse_handler_errors", "Handler calls that did not return outputs, by kind: bpmn_error, unregistered "
    "or the exception's class name", ["handler", "kind"], registry=REGISTRY)

BPMN_ERROR, UNREGISTERED = "bpmn_error", "unregistered"


@lru_cache(maxsize=4096)
def _activity_series(definition_key: str, activity_id: str):
    # Looking a labelled series up costs as much as observing it; this runs at every step.
    return ACTIVITY_SECONDS.labels(definition_key, activity_id)


def activity_completed(definition_key: str, activity_id: str, seconds: float) -> None:
    _activity_series(definition_key, activity_id).observe(max(seconds, 0.0))


def handler_called(handler: str, seconds: float) -> None:
    HANDLER_SECONDS.labels(handler).observe(seconds)


def handler_failed(handler: str, kind: str) -> None:
    HANDLER_ERRORS.labels(handler, kind).inc()
