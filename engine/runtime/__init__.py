"""One instance in memory for the length of a command: load it (live), run it to its next wait
(runner, observer, pruning), route its events, errors and compensation, call handlers
(service_calls), and save it (saving).

A save writes the instance's own row, then runs SAVE_STEPS (engine/__init__.py lists them): each
table that follows the instance - user tasks, jobs, external tasks, incidents, subscriptions -
is kept by the package that owns it, above this one.
Uses: engine.handlers, definitions, history, scripting, telemetry, store.
"""
