"""Telemetry measured in this process: the context a log line names, and in-process metrics.

Uses: nothing of the engine. The metrics read from the database live in engine.reports.
"""
