"""Process instances as users see them: start, read, list, suspend, resume, terminate, variables.

Uses: engine.runtime, definitions, history, identity, store.
"""
