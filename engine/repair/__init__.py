"""Repairs an admin makes to an instance: retry, move a token, rewind, and migrate to another version.

Uses: engine.incidents, tasks, runtime, history, definitions, identity, store.
"""
