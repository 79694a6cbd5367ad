"""Deployed definitions read back: the catalogue (by id, key, newest version, XML), the files
deployed beside a model, forms of tasks and start events, and sensitive form fields.

Uses: engine.history (masking names), engine.store, forms, bpmn. Deploying is engine.deployment.
"""
