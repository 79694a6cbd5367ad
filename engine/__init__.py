"""Fuse's engine: runs process instances durably. It knows nothing of HTTP; `api/` calls it.

Its packages, from the bottom up (a package imports only those below it; tests/test_architecture.py
holds them to it):

    errors          the error types every package raises
    store           tables, sessions, schema, statuses, state serialisation
    telemetry       log context and in-process metrics
    scripting       restricted Python and expressions for SpiffWorkflow
    identity        users, groups, API tokens
    history         the audit trail: recording, hash chain, verify, export, masking, replay
    definitions     deployed definitions read back: catalogue, forms, sensitive fields, files
    handlers        service-task handlers (http, ai, policy, notify, ...)
    runtime         one instance in memory: load, run, observe, save (with the save steps below)
    jobs            the durable job table
    instances       start, read, list and control instances
    tasks           user tasks and external tasks
    incidents       handlers that ran out of tries
    events          messages, signals and timer start events
    worker          runs due jobs
    deployment      deploying and validating models
    repair          retry, move, rewind, migrate
    reports         diagram states and metrics read from the database

This module also wires the one thing that crosses the layers upwards: what a save of an instance
keeps in step with it. Each step lives in the package that owns its table; the list says the order.
"""
from engine.events.messages import deliver_thrown_events
from engine.events.subscriptions import sync_subscriptions
from engine.incidents.incidents import sync_incidents
from engine.jobs.queue import sync_jobs
from engine.runtime.saving import SAVE_STEPS, flush_history
from engine.tasks.external_tasks import sync_external_tasks
from engine.tasks.user_task_rows import sync_user_tasks

SAVE_STEPS[:] = [
    sync_user_tasks,
    flush_history,
    sync_jobs,
    sync_external_tasks,
    sync_incidents,
    sync_subscriptions,
    deliver_thrown_events,  # last: thrown messages may open and save other instances
]
