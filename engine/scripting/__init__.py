"""Scripts and expressions for SpiffWorkflow: the restricted Python sandbox (in-process for cheap code,
in limited evaluator processes for the rest) and the script engine that evaluates JUEL, FEEL and
sandboxed Python (never plain eval); and what CEL expressions (policies, the trust score) share.

Uses: bpmn.expressions. Nothing of the engine.
"""
