"""Deploying models: compile, check (forms, handlers, timers, policies), version and store them;
validation runs the same checks without storing.

Uses: engine.events (timer start schedules), runtime (handler names), handlers, definitions, store.
"""
