"""Scripts and expressions for SpiffWorkflow: the restricted Python sandbox and the script engine
that evaluates JUEL, FEEL and sandboxed Python (never plain eval).

Uses: bpmn.expressions. Nothing of the engine.
"""
