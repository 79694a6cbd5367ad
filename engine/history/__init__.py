"""The audit trail: events recorded while a command runs and written at once, their hash chain, its
verification, export by time range, masking of sensitive values, where each variable came from,
and replaying variables to an earlier point.

Uses: engine.store, engine.errors.
"""
