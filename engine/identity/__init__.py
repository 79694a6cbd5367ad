"""Who acts: users, their groups, API tokens (stored as hashes), the Actor a command runs as, and that
actor as policies see them (the person, with the deployment's trust score).

Uses: engine.store, engine.errors, engine.scripting (CEL's shared functions).
"""
