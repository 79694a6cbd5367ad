"""The worker: acquires due jobs and runs each (async continuations, retries, timers, buffered
messages, timer starts), in a thread of `fuse serve` or alone as `fuse worker`.

Uses: engine.events, jobs, runtime, store, telemetry.
"""
