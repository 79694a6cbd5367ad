"""Who acts: users, their groups, API tokens (stored as hashes), and the Actor a command runs as.

Uses: engine.store, engine.errors.
"""
