"""Camunda 7 (`camunda:`) and Camunda 8 (`zeebe:`) extensions, read into one plain dict per element.

The dict is stored as the task spec's `extensions` (SpiffWorkflow serializes it with the spec):
    properties      {name: value}                       camunda:properties, zeebe:properties
    inputs/outputs  [{"name", "value"}]                  camunda:inputOutput, zeebe:ioMapping
    handler         {"kind", ...}                        camunda:class/expression/delegateExpression/
                                                         type+topic, zeebe:taskDefinition
    result_variable, task_headers, retry_time_cycle, async_before, async_after
    assignment      {assignee, candidate_users, ...}     zeebe:assignmentDefinition, zeebe:taskSchedule
    form            {key | form_id | ref | embedded...}  camunda:formKey/formRef, zeebe:formDefinition/userTaskForm
    call            {process_id, in, out, ...}           camunda:in/out, zeebe:calledElement
    script          {"expression", "result_variable"}    zeebe:script
    decision, subscription, loop                         zeebe:calledDecision, zeebe:subscription, zeebe:loopCharacteristics
A value is {"text": s} | {"expression": s} | {"list": [values]} | {"map": {k: value}} | {"script": s, "format": f}.
"""
