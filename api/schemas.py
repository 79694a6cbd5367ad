"""Request and response shapes; the OpenAPI document is generated from these."""
from __future__ import annotations

from marshmallow import EXCLUDE, INCLUDE, Schema, fields, validate

from engine.store.states import InstanceState


class UtcDateTime(fields.DateTime):
    """Timestamps are stored as naive UTC; say so on the wire."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat() + "Z"


# Bounds of numbers a request may carry: beyond them the database's integers (and Python's
# timedelta) overflow, which must answer 400, not 500.
MAX_PAGE = 1_000_000_000
MAX_RETRIES = 1_000_000
MAX_DELAY_MS = 30 * 86_400_000


class Loose(Schema):
    class Meta:
        unknown = EXCLUDE


class DefinitionBriefSchema(Schema):
    id = fields.String()
    key = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)


class ProblemItemSchema(Schema):
    """One error or warning, pinned to an element of a file."""

    element_id = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    message = fields.String()
    file = fields.String(allow_none=True)


class DeploymentSchema(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    created_at = UtcDateTime()
    definitions = fields.List(fields.Nested(DefinitionBriefSchema))
    warnings = fields.List(fields.Nested(ProblemItemSchema), dump_only=True)


class DeployFormSchema(Loose):
    name = fields.String()
    allow_non_executable = fields.Boolean(load_default=False)


class ProcessBriefSchema(Schema):
    key = fields.String()
    name = fields.String(allow_none=True)
    executable = fields.Boolean()


class ValidationReportSchema(Schema):
    valid = fields.Boolean()
    processes = fields.List(fields.Nested(ProcessBriefSchema))
    errors = fields.List(fields.Nested(ProblemItemSchema))
    warnings = fields.List(fields.Nested(ProblemItemSchema))


class DefinitionSchema(DefinitionBriefSchema):
    executable = fields.Boolean()
    starters = fields.Dict(allow_none=True, metadata={
        "description": "camunda:candidateStarterUsers/Groups as {users, groups}; null when the process names none"})
    deployment_id = fields.String()
    resource_name = fields.String()
    created_at = UtcDateTime()


class DefinitionQuerySchema(Loose):
    key = fields.String()
    latest = fields.Boolean(load_default=False)
    startable = fields.Boolean(load_default=False, metadata={"description": "only those the caller may start"})


class StartInstanceSchema(Schema):
    definition_key = fields.String()
    definition_id = fields.String()
    business_key = fields.String(allow_none=True)
    variables = fields.Dict(keys=fields.String(), load_default=dict)
    force = fields.Boolean(load_default=False)


class ActivitySchema(Schema):
    activity_id = fields.String()
    name = fields.String(allow_none=True)
    type = fields.String(allow_none=True)


class TaskSummarySchema(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    activity_id = fields.String()
    process_instance_id = fields.String(attribute="instance_id")
    assignee = fields.String(allow_none=True)
    candidate_users = fields.List(fields.String())
    candidate_groups = fields.List(fields.String())
    due = UtcDateTime(allow_none=True)
    follow_up = UtcDateTime(allow_none=True)
    priority = fields.Integer(allow_none=True)
    created_at = UtcDateTime()
    form_key = fields.String(allow_none=True)
    state = fields.String()


class StepUpSchema(Schema):
    max_auth_age_minutes = fields.Integer(allow_none=True)
    second_factor = fields.Boolean()
    groups = fields.List(fields.String())
    policy = fields.String(allow_none=True)


class TaskSchema(TaskSummarySchema):
    variables = fields.Dict()
    # Only on a single task's JSON: what the person completing it must have shown (null: nothing).
    step_up = fields.Nested(StepUpSchema, allow_none=True, dump_default=None)


class InstanceSchema(Schema):
    id = fields.String(attribute="instance.id")
    definition_id = fields.String(attribute="instance.definition_id")
    definition_key = fields.String(attribute="instance.definition_key")
    business_key = fields.String(attribute="instance.business_key", allow_none=True)
    state = fields.String(attribute="instance.state")
    variables = fields.Dict(attribute="instance.variables")
    created_at = UtcDateTime(attribute="instance.created_at")
    ended_at = UtcDateTime(attribute="instance.ended_at", allow_none=True)
    active_activities = fields.List(fields.Nested(ActivitySchema), attribute="instance.active_activities")
    open_tasks = fields.List(fields.Nested(TaskSummarySchema))
    error = fields.Dict(attribute="instance.error", allow_none=True)


class InstanceListItemSchema(Schema):
    id = fields.String()
    definition_id = fields.String()
    definition_key = fields.String()
    business_key = fields.String(allow_none=True)
    state = fields.String()
    variables = fields.Dict()
    created_at = UtcDateTime()
    ended_at = UtcDateTime(allow_none=True)
    active_activities = fields.List(fields.Nested(ActivitySchema))


class PageSchema(Schema):
    """A page of a list: `items`, how many there are in all, and which page this is."""

    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class PageQuerySchema(Loose):
    """`page` (1 to 10^9) and `per_page` (1 to 500, default 50) of a paged list."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class InstancePageSchema(PageSchema):
    items = fields.List(fields.Nested(InstanceListItemSchema))


class InstanceQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf([s.value for s in InstanceState]))
    definition_key = fields.String()
    business_key = fields.String()


class ReasonQuerySchema(Loose):
    reason = fields.String()


class VariablesSchema(Schema):
    """Variables are a plain JSON object, name to value; PATCH merges one into them."""

    class Meta:
        unknown = INCLUDE


class HistoryEventSchema(Schema):
    seq = fields.Integer()
    at = UtcDateTime()
    type = fields.String()
    activity_id = fields.String(allow_none=True)
    activity_name = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)
    prev_hash = fields.String(allow_none=True)
    hash = fields.String(allow_none=True)


class BrokenLinkSchema(Schema):
    seq = fields.Integer()
    reason = fields.String()


class ChainReportSchema(Schema):
    """Whether an instance's history is intact: the first event that does not fit, if any."""

    valid = fields.Boolean()
    events = fields.Integer(metadata={"description": "how many events the instance has"})
    first_broken = fields.Nested(BrokenLinkSchema, allow_none=True)


class HistoryExportQuerySchema(Schema):
    start = fields.DateTime(data_key="from", required=True,
                            metadata={"description": "ISO 8601; events at or after it (no offset: UTC)"})
    end = fields.DateTime(data_key="to", required=True, metadata={"description": "ISO 8601; events before it"})
    instance_id = fields.String(metadata={"description": "only this instance's events"})


class HistoryExportLineSchema(HistoryEventSchema):
    """One line of an export (application/x-ndjson): an event with what its hash covers."""

    instance_id = fields.String()
    at = fields.String(metadata={"description": "naive UTC with microseconds, plus Z"})


class ActivityMarksSchema(Schema):
    """Where an activity stands, and how often each thing happened there."""

    state = fields.String(metadata={"enum": ["completed", "active", "failed", "cancelled", "compensated",
                                             "not_reached"]})
    entered = fields.Integer()
    completed = fields.Integer()
    active = fields.Integer(metadata={"description": "live tokens, not counting those stuck on a failure"})
    cancelled = fields.Integer()
    failed = fields.Integer(metadata={"description": "failures and incidents, past and present"})
    compensated = fields.Integer()


class InstanceDiagramSchema(Schema):
    definition_id = fields.String()
    bpmn = fields.String(metadata={"description": "the BPMN file the definition was deployed from"})
    activities = fields.Dict(keys=fields.String(), values=fields.Nested(ActivityMarksSchema),
                             metadata={"description": "activity id -> its marks"})


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema))


class TaskQuerySchema(PageQuerySchema):
    assignee = fields.String()
    candidate_group = fields.String()
    process_instance_id = fields.String()
    state = fields.String(validate=validate.OneOf(["open", "completed", "cancelled"]))
    overdue = fields.Boolean(load_default=False)


class AssignSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=120))


class CompleteTaskSchema(Schema):
    variables = fields.Dict(keys=fields.String(), load_default=dict)


class HealthSchema(Schema):
    status = fields.String()
    database = fields.String()


class FormViewSchema(Schema):
    """A form to show: JSON Schema (2020-12), UI hints, and the values to start from."""

    schema = fields.Dict()
    ui_schema = fields.Dict()
    data = fields.Dict()


class IncidentSchema(Schema):
    id = fields.String()
    process_instance_id = fields.String(attribute="instance_id")
    task_id = fields.String()
    activity_id = fields.String(allow_none=True)
    error = fields.String()
    state = fields.String()
    created_at = UtcDateTime()
    resolved_at = UtcDateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)


class IncidentQuerySchema(Loose):
    process_instance_id = fields.String()
    state = fields.String(validate=validate.OneOf(["open", "resolved"]))


class TopicSchema(Schema):
    name = fields.String(required=True)
    lock_duration_ms = fields.Integer(load_default=60_000, validate=validate.Range(min=1, max=86_400_000))


class FetchAndLockSchema(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    max_tasks = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    topics = fields.List(fields.Nested(TopicSchema), required=True, validate=validate.Length(min=1))


class LockedTaskSchema(Schema):
    id = fields.String()
    topic = fields.String()
    process_instance_id = fields.String(attribute="instance_id")
    activity_id = fields.String(allow_none=True)
    business_key = fields.String(allow_none=True)
    variables = fields.Dict()
    retries = fields.Integer(allow_none=True)
    lock_expires_at = UtcDateTime()


class WorkerCompleteSchema(Schema):
    worker_id = fields.String(required=True)
    variables = fields.Dict(keys=fields.String(), load_default=dict)


class WorkerFailureSchema(Schema):
    worker_id = fields.String(required=True)
    error_message = fields.String(load_default="failed")
    retries = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_RETRIES))
    retry_timeout_ms = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_DELAY_MS))


class WorkerBpmnErrorSchema(Schema):
    worker_id = fields.String(required=True)
    error_code = fields.String(required=True)
    error_message = fields.String(load_default="")
    variables = fields.Dict(keys=fields.String(), load_default=dict)


class ExtendLockSchema(Schema):
    worker_id = fields.String(required=True)
    new_duration_ms = fields.Integer(required=True, validate=validate.Range(min=1, max=86_400_000))


class MessageSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    business_key = fields.String(allow_none=True)
    correlation_keys = fields.Dict(keys=fields.String(), load_default=dict)
    variables = fields.Dict(keys=fields.String(), load_default=dict)
    all = fields.Boolean(load_default=False)
    ttl_ms = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_DELAY_MS))


class SignalSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    variables = fields.Dict(keys=fields.String(), load_default=dict)


class DeliverySchema(Schema):
    started = fields.List(fields.String())
    delivered = fields.List(fields.String())
    buffered = fields.Boolean()


class RepairSchema(Schema):
    """Every repair says why: the reason goes into the instance's history (422 when blank)."""

    reason = fields.String(allow_none=True, load_default=None,
                           metadata={"description": "required: why the instance is repaired"})


class MoveTokenSchema(RepairSchema):
    from_activity_id = fields.String(required=True)
    to_activity_id = fields.String(required=True)


class RewindSchema(RepairSchema):
    to_activity_id = fields.String(required=True)


class MigrateSchema(RepairSchema):
    to_definition_id = fields.String(required=True)
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                          metadata={"description": "activity id in the current version -> its id in the target"})
