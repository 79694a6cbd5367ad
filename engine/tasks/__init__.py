"""Tasks done by someone outside the engine: user tasks (rows, assignment, claim, complete) and
external tasks (fetch-and-lock, complete, failure, BPMN errors).

Uses: engine.runtime, definitions, identity, store. Contributes the user-task and external-task save steps.
"""
