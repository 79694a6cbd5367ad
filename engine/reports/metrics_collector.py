"""Metrics read from the database at scrape time: true for every process that shares the database
(the server, its embedded worker, any number of `fuse worker`s), and nothing to keep in step.

Four grouped queries per scrape (instances, open user tasks, open incidents, due jobs); each
scans its table's rows of interest, which is fine at a scrape every few seconds.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine.incidents.incidents import OPEN as INCIDENT_OPEN
from engine.jobs.queue import runnable
from engine.store.models import Incident, Job, ProcessDefinition, ProcessInstance, UserTask, utcnow
from engine.store.states import InstanceState, UserTaskState

KEY = ProcessInstance.definition_key


class DatabaseCollector(Collector):
    """Instances, user tasks, incidents and jobs as the database has them now."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def collect(self):
        now = utcnow()
        with Session(self.engine) as session:
            yield from _instances(session)
            yield from _user_tasks(session, now)
            yield from _incidents(session)
            yield from _jobs(session, now)


def _instances(session: Session):
    rows = session.execute(select(KEY, ProcessInstance.state, func.count()).group_by(KEY, ProcessInstance.state))
    by_key: dict[str, dict[str, int]] = {}
    for key, state, count in rows:
        by_key.setdefault(key, {})[state] = count
    started = CounterMetricFamily("fuse_instances_started", "Instances started (every instance row)",
                                  labels=["definition_key"])
    completed = CounterMetricFamily("fuse_instances_completed", "Instances that completed",
                                    labels=["definition_key"])
    current = GaugeMetricFamily("fuse_instances", "Instances by their state now (failed ones included)",
                                labels=["definition_key", "state"])
    for key, states in sorted(by_key.items()):
        started.add_metric([key], sum(states.values()))
        completed.add_metric([key], states.get(InstanceState.COMPLETED.value, 0))
        for state in InstanceState:
            current.add_metric([key, state.value], states.get(state.value, 0))
    return started, completed, current


def _user_tasks(session: Session, now: datetime):
    """Open user tasks, and those of them past their due date (the rule of the task list's `overdue`)."""
    overdue = func.sum(case((and_(UserTask.due.is_not(None), UserTask.due < now), 1), else_=0))
    rows = session.execute(select(KEY, func.count(), overdue).select_from(UserTask).join(ProcessInstance)
                           .where(UserTask.state == UserTaskState.OPEN.value).group_by(KEY))
    open_ = GaugeMetricFamily("fuse_user_tasks_open", "Open user tasks", labels=["definition_key"])
    late = GaugeMetricFamily("fuse_user_tasks_overdue", "Open user tasks past their due date",
                             labels=["definition_key"])
    for key, count, overdue_count in sorted(rows):
        open_.add_metric([key], count)
        late.add_metric([key], overdue_count or 0)
    return open_, late


def _incidents(session: Session):
    of_instances = session.execute(select(KEY, func.count()).select_from(Incident).join(ProcessInstance)
                                   .where(Incident.state == INCIDENT_OPEN).group_by(KEY))
    # A definition's incidents (its timer start job kept failing) have no instance.
    of_definitions = session.execute(select(ProcessDefinition.key, func.count()).select_from(Incident)
                                     .join(ProcessDefinition, Incident.definition_id == ProcessDefinition.id)
                                     .where(Incident.state == INCIDENT_OPEN, Incident.instance_id.is_(None))
                                     .group_by(ProcessDefinition.key))
    counts = Counter()
    for key, count in [*of_instances, *of_definitions]:
        counts[key] += count
    family = GaugeMetricFamily("fuse_incidents_open", "Open incidents (handlers or timer starts that ran out of tries)",
                               labels=["definition_key"])
    for key, count in sorted(counts.items()):
        family.add_metric([key], count)
    return (family,)


def _jobs(session: Session, now: datetime):
    """Jobs a worker could take now, and how long the oldest of them has been waiting."""
    count, oldest = session.execute(runnable(select(func.count(), func.min(Job.due_at)).select_from(Job), now)).one()
    lag = (now - oldest).total_seconds() if oldest is not None else 0.0
    return (GaugeMetricFamily("fuse_jobs_due", "Jobs due now and not locked by a worker", value=count),
            GaugeMetricFamily("fuse_job_lag_seconds", "Seconds since the oldest due, unlocked job fell due "
                              "(0 when none is due)", value=max(lag, 0.0)))
