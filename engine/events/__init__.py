"""Events from outside an instance and between instances: message and signal correlation, the
subscription table delivery searches, buffered messages, and timer start events (one schedule job
per timer start of a definition's newest version).

Uses: engine.jobs, runtime, definitions, identity, scripting, store. Contributes the subscription
and thrown-event save steps.
"""
