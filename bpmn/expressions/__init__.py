"""Expression languages Fuse evaluates inside BPMN models (JUEL, as written for Camunda 7).

Every failure surfaces as `bpmn.expressions.errors.ExpressionError`; see `bpmn.expressions.juel`.
"""
