"""The store: the tables, sessions, schema upgrades, statuses, and instance state to and from JSON.

Owns: engine.store.models (every table), db (where sessions come from), schema (Alembic), states,
lookup (one row or NotFound), claiming (rows several workers race for), serialization (specs, state).
Uses: engine.errors only. Everything else in the engine stands on it; it knows none of them.
"""
