"""Several due jobs in one transaction: each run in memory first, then all claimed and written, one commit.

A burst of timers is many small commands, and a commit and a session per job were a fifth of each (issue 15:
"jobs claimed and fired in batches, many per transaction"). Every job of a batch runs on its instance read
without the lock, and its save is prepared (state dumped, history chained and packed) while nothing is written;
then each instance is claimed in turn (unchanged since read: engine.runtime.live.claim_unchanged; its job goes
with the claim) and written, so each is still changed by one writer at a time, and the write lock - on SQLite
the whole database's - is held for the writing alone.

What does not fit a batch is left to run alone afterwards, exactly as before (engine.worker.job_runner): timer
start and buffered-message jobs, a second job of an instance already in the batch, an instance that throws a
message or signal to others (delivering it opens them), and an instance changed by somebody else meanwhile.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.runtime.async_boundaries import CONTINUE, RETRY
from engine.runtime.saving import finish_save, prepare_save
from engine.runtime.timers import TIMER
from engine.store.models import Job
from engine.worker.job_runner import JOBS_AND_INSTANCES, JobOutcome, RanJob, claim_for, run_in_memory

BATCHED_KINDS = frozenset({TIMER, CONTINUE, RETRY})

def _run_all(session: Session, jobs: list[Job], left: list[str]) -> list[RanJob]:
    """Run every job that fits the batch in memory, its save prepared; the others' ids go to `left`."""
    ran, instances = [], set()
    for job in jobs:
        if job.kind not in BATCHED_KINDS or job.instance_id in instances:
            left.append(job.id)
            continue
        instances.add(job.instance_id)
        one = run_in_memory(session, job)
        if one.live.workflow.bpmn_events:
            session.expire(one.live.row)  # what it computed is dropped; alone, it is run again and delivered
            left.append(job.id)
            continue
        if one.waiting:
            prepare_save(one.live)
        ran.append(one)
    return ran


def run_batch(session: Session, job_ids: list[str]) -> tuple[list[JobOutcome], list[str]]:
    """Run what fits a batch of `job_ids` in the caller's transaction (the caller commits); returns what ran and
    the ids left to run alone (engine.worker.job_runner.run_job). An exception leaves the transaction to be
    rolled back: nothing of the batch is written then, and each job is run alone."""
    found = {job.id: job for job, _instance in session.execute(JOBS_AND_INSTANCES, {"job_ids": job_ids})}
    left = [job_id for job_id in job_ids if job_id not in found]  # gone meanwhile: alone says so
    with session.no_autoflush:  # nothing is written before each instance's claim
        ran = _run_all(session, [found[job_id] for job_id in job_ids if job_id in found], left)
        claimed = []
        # Claimed in instance order, so that two workers' batches on PostgreSQL wait for each other, not deadlock.
        for one in sorted(ran, key=lambda one: one.job.instance_id):
            if claim_for(session, one):
                claimed.append(one)
            else:
                session.expire(one.live.row)
                left.append(one.job.id)
    for one in claimed:
        if one.waiting:
            finish_save(session, one.live)
    return [JobOutcome(one.job.id, one.job.instance_id, one.waiting) for one in claimed], left
