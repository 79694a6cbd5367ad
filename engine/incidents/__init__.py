"""Incidents: a handler that ran out of tries. An admin retries it or resolves it with outputs.

Uses: engine.runtime, identity, store. Contributes the incidents save step.
"""
