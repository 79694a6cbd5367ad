"""The durable job table: a job for every task that waits for one (async continuation, retry,
timer, buffered message), acquired by workers with expiring locks.

Uses: engine.runtime, engine.store. Running a job is engine.worker.
"""
