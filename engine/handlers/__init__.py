"""Service-task handlers: Python callables bound to BPMN service, send and business-rule tasks.

A handler is `handler(inputs: dict, context: HandlerContext) -> dict | None` (its outputs). It raises
`BpmnError(code, message)` for a business error (caught by error boundary events), or any other
exception for a technical failure (retried, then an incident). See engine.handlers.base.
"""
