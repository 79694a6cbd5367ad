"""Timer start events: a durable schedule per process (date, ISO cycle, cron), one instance per firing,
replaced when a new version is deployed."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from bpmn.timer_schedules import ScheduleError, following, schedule_for
from engine.deployment.deploy import deploy, validate_files
from engine.errors import InvalidModel
from engine.identity.users import Actor
from engine.instances.commands import list_instances, start_instance
from engine.worker.job_runner import run_job
from engine.store.models import Job, ProcessInstance, utcnow
from engine.worker.worker import Worker
from helpers import bpmn_document, flow

ADMIN = Actor("admin", frozenset({"admin"}))


def timer_started(kind: str, expression: str, process_id: str = "ticker", script: str = "ticked = True") -> bytes:
    return bpmn_document(
        f'<bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">'
        f'{expression}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:startEvent>'
        f'<bpmn:scriptTask id="work" scriptFormat="python"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:endEvent id="end"/>' + flow("f1", "tick", "work") + flow("f2", "work", "end"), process_id)


def timer_start_jobs(session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.kind == "timer-start").order_by(Job.due_at)))


def make_due(session, job: Job) -> None:
    session.execute(update(Job).where(Job.id == job.id).values(due_at=utcnow() - timedelta(seconds=1)))
    session.commit()


def instances_of(session, key: str) -> list[ProcessInstance]:
    return list_instances(session, ADMIN, definition_key=key, per_page=100).items


def test_a_date_in_the_past_fires_once_at_the_next_poll(sessions):
    with sessions() as session:
        deploy(session, {"t.bpmn": timer_started("timeDate", "2020-01-01T00:00:00Z")}, None, "admin")
        session.commit()
        [job] = timer_start_jobs(session)
        assert job.instance_id is None and job.activity_id == "tick" and job.due_at == datetime(2020, 1, 1)
    Worker(sessions).run_once()
    with sessions() as session:
        [instance] = instances_of(session, "ticker")
        assert instance.state == "completed" and instance.variables["ticked"] is True
        assert instance.started_by == "timer"
        assert timer_start_jobs(session) == []  # a date fires once
    Worker(sessions).run_once()
    with sessions() as session:
        assert len(instances_of(session, "ticker")) == 1


def test_a_repeating_cycle_starts_one_instance_per_firing_and_stops_after_its_count(sessions):
    with sessions() as session:
        deploy(session, {"t.bpmn": timer_started("timeCycle", "R2/PT1H")}, None, "admin")
        session.commit()
        [job] = timer_start_jobs(session)
        first_due = job.due_at
        assert timedelta(minutes=59) < first_due - utcnow() <= timedelta(hours=1)
        make_due(session, job)
    Worker(sessions).run_once()
    with sessions() as session:
        assert len(instances_of(session, "ticker")) == 1
        [job] = timer_start_jobs(session)  # the same schedule, moved to its next firing
        assert job.schedule["remaining"] == 1
        assert timedelta(minutes=59) < job.due_at - utcnow() <= timedelta(hours=1)
        make_due(session, job)
    Worker(sessions).run_once()
    with sessions() as session:
        assert len(instances_of(session, "ticker")) == 2
        assert timer_start_jobs(session) == []


def test_a_camunda_cron_cycle_fires_on_its_cron_times_forever(sessions):
    with sessions() as session:
        deploy(session, {"t.bpmn": timer_started("timeCycle", "0 0/5 * * * ?")}, None, "admin")
        session.commit()
        [job] = timer_start_jobs(session)
        assert job.due_at.second == 0 and job.due_at.minute % 5 == 0
        assert timedelta(0) < job.due_at - utcnow() <= timedelta(minutes=5)
        make_due(session, job)
    for expected in (1, 2):
        Worker(sessions).run_once()
        with sessions() as session:
            started = instances_of(session, "ticker")
            assert len(started) == expected and all(i.variables == {"ticked": True} for i in started)
            [job] = timer_start_jobs(session)
            assert job.due_at > utcnow() and job.due_at.minute % 5 == 0 and job.schedule["remaining"] == -1
            make_due(session, job)


def test_a_new_version_replaces_the_old_versions_schedule(sessions):
    with sessions() as session:
        deploy(session, {"t.bpmn": timer_started("timeCycle", "R/PT1H")}, None, "admin")
        deploy(session, {"t.bpmn": timer_started("timeCycle", "R/PT2H", script="ticked = 2")}, None, "admin")
        session.commit()
        [job] = timer_start_jobs(session)
        assert job.definition_id.startswith("ticker:2:")
        make_due(session, job)
    Worker(sessions).run_once()
    with sessions() as session:
        [instance] = instances_of(session, "ticker")
        assert (instance.state, instance.error) == ("completed", None)
        assert instance.variables["ticked"] == 2 and instance.definition_id.startswith("ticker:2:")


def test_a_version_without_the_timer_removes_the_schedule(sessions):
    plain = bpmn_document('<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>' + flow("f", "s", "e"), "ticker")
    with sessions() as session:
        deploy(session, {"t.bpmn": timer_started("timeCycle", "R/PT1H")}, None, "admin")
        deploy(session, {"t.bpmn": plain}, None, "admin")
        session.commit()
        assert timer_start_jobs(session) == []


def test_an_expression_timer_is_evaluated_at_deploy_time(sessions):
    with sessions() as session:
        deploy(session, {"t.bpmn": timer_started("timeDuration", "${'PT10M'}")}, None, "admin")
        session.commit()
        [job] = timer_start_jobs(session)
        assert timedelta(minutes=9) < job.due_at - utcnow() <= timedelta(minutes=10)


@pytest.mark.parametrize("kind,expression", [("timeCycle", "0 0 25 * * ?"), ("timeCycle", "R/PXM"),
                                             ("timeDate", "tomorrow")])
def test_a_timer_no_schedule_can_be_made_of_is_refused_naming_the_start_event(sessions, kind, expression):
    files = {"t.bpmn": timer_started(kind, expression)}
    with sessions() as session:
        with pytest.raises(InvalidModel) as refused:
            deploy(session, files, None, "admin")
        assert [p.element_id for p in refused.value.errors] == ["tick"]
        session.rollback()
        assert timer_start_jobs(session) == []
    report = validate_files(files)
    assert not report.valid and report.errors[0].element_id == "tick"


def test_started_by_hand_a_timer_start_process_runs_at_once(sessions):
    with sessions() as session:
        deploy(session, {"t.bpmn": timer_started("timeCycle", "R/PT1H")}, None, "admin")
        instance = start_instance(session, ADMIN, definition_key="ticker")
        session.commit()
        assert instance.state == "completed" and instance.variables["ticked"] is True
        assert [j.kind for j in session.scalars(select(Job))] == ["timer-start"]  # no stray timer job


def test_the_job_runner_starts_an_instance_and_reschedules_in_one_transaction(sessions):
    with sessions() as session:
        deploy(session, {"t.bpmn": timer_started("timeCycle", "R/PT1H")}, None, "admin")
        session.commit()
        [job] = timer_start_jobs(session)
        outcome = run_job(session, job.id)
        session.rollback()  # as if the worker died before committing: nothing happened
        assert instances_of(session, "ticker") == [] and timer_start_jobs(session)[0].due_at == job.due_at
        outcome = run_job(session, job.id)
        session.commit()
        assert [i.id for i in instances_of(session, "ticker")] == [outcome.instance_id]


def test_schedules_follow_iso_and_cron_rules():
    now = datetime(2026, 11, 25, 10, 7, 30)
    assert schedule_for("cycle", "0 0 8 * * ?", now).first == datetime(2026, 11, 26, 8, 0)
    assert schedule_for("cycle", "*/15 * * * *", now).first == datetime(2026, 11, 25, 10, 15)  # five fields
    start = schedule_for("cycle", "R3/2026-11-25T09:00:00Z/PT1H", now)
    assert (start.first, start.remaining, start.interval_s) == (datetime(2026, 11, 25, 9), 3, 3600)
    # Missed firings are skipped: the next one is the first still ahead.
    assert following(start.as_json(), start.first, now) == datetime(2026, 11, 25, 11)
    assert following({"remaining": 1, "interval_s": 3600}, now, now) is None
    assert schedule_for("date", "2026-12-01T10:00:00+01:00", now).first == datetime(2026, 12, 1, 9)
    with pytest.raises(ScheduleError):
        schedule_for("cycle", "0 0 8 * * ? 2027", now)


def test_unchanged_files_make_a_new_version_only_after_a_compiler_upgrade(sessions, monkeypatch):
    from bpmn import compiler

    files = {"t.bpmn": timer_started("timeCycle", "R/PT1H")}
    with sessions() as session:
        first = deploy(session, files, None, "admin")
        assert deploy(session, files, None, "admin").deployment.id == first.deployment.id  # same generation
        monkeypatch.setattr(compiler, "COMPILER_GENERATION", compiler.COMPILER_GENERATION + 1)
        upgraded = deploy(session, files, None, "admin")
        session.commit()
        assert upgraded.created and upgraded.deployment.id != first.deployment.id
        [job] = timer_start_jobs(session)  # the new version owns the schedule
        assert job.definition_id.startswith("ticker:2:")
