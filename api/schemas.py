"""Request and response shapes; the OpenAPI document is generated from these."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, validate, validates_schema
from marshmallow.utils import missing

from engine.deployment.checks import ACCEPTED_SUFFIXES, MAX_FILE_NAME
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


# Lengths of the text columns request values are stored in (engine/store/models.py): longer is a 400 here,
# not an error of the database.
BUSINESS_KEY_MAX = 255
DEPLOYMENT_NAME_MAX = 200


class StrictBoolean(fields.Boolean):
    """A JSON boolean: `true` or `false` only. marshmallow's Boolean also takes 0, 1, "yes", "off"...; so
    `"force": 0` started an instance although the document says boolean."""

    default_error_messages = {"invalid": "Not a boolean: send true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is not bool:  # noqa: E721 - 0 == False and 1 == True, so `in`/`==` would let them pass
            raise self.make_error("invalid")
        return value


class TextBoolean(fields.Boolean):
    """A boolean in a query string or form field: the text `true` or `false`, as OpenAPI serializes one."""

    default_error_messages = {"invalid": "Not a boolean: send true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in ("true", "false"):
            raise self.make_error("invalid")
        return value == "true"


# A date, or a date and time with an optional offset (none means UTC): ISO 8601 as Python reads it, minus the
# week dates, ordinal dates and compact forms fromisoformat also takes, so the document can state it exactly.
INSTANT_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                   r"(Z|[+-][0-9]{2}:[0-9]{2})?)?$")
_INSTANT = re.compile(INSTANT_PATTERN.removeprefix("^").removesuffix("$"))


class Instant(fields.Field):
    """A point in time from a query string, as naive UTC (how timestamps are stored)."""

    default_error_messages = {"invalid": "Not a date or date-time (YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|+HH:MM])."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _INSTANT.fullmatch(value):
            raise self.make_error("invalid")
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        except ValueError:  # the right shape, but no such day or hour (2030-02-31, 25:00)
            raise self.make_error("invalid") from None
        except OverflowError:  # 0001-01-01T00:00+01:00 is before the first day Python knows, in UTC
            raise self.make_error("invalid") from None
        return moment


class EngineChecked(fields.String):
    """A string the document marks required and not blank, whose absence the engine refuses itself (422
    naming the field, as it does for the CLI), so a missing, null or blank value passes through as None."""

    def __init__(self, **kwargs):
        super().__init__(required=True, metadata={"minLength": 1, "pattern": r"\S", **kwargs.pop("metadata", {})},
                         **kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is missing or value is None:
            return None
        return super().deserialize(value, attr, data, **kwargs)


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
    name = fields.String(validate=validate.Length(max=DEPLOYMENT_NAME_MAX))
    allow_non_executable = TextBoolean(load_default=False)


class UploadSchema(Loose):
    """The multipart/form-data of an upload (documentation only: views read request.files)."""

    file = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}), required=True,
                       validate=validate.Length(min=1), metadata={"description": (
                           "one part per file. Its file name (at most "
                           f"{MAX_FILE_NAME} characters, any case) says what it is, and only these are "
                           f"accepted: {', '.join(ACCEPTED_SUFFIXES)}; at least one must be BPMN "
                           "(.bpmn, .bpmn20.xml, .bpmn2). Pickles are refused (422), ONNX files must hold their "
                           "own data. The part's Content-Type is not read.")})


class DeployUploadSchema(UploadSchema, DeployFormSchema):
    """A deployment's multipart/form-data: the files, an optional name, and whether to keep non-executable
    processes."""


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
    latest = TextBoolean(load_default=False)
    startable = TextBoolean(load_default=False, metadata={"description": "only those the caller may start"})


class StartInstanceSchema(Schema):
    """Which process to start: exactly one of `definition_key` (its latest version) and `definition_id`."""

    # The engine refuses neither or both (400); the document says so with oneOf.
    openapi = {"oneOf": [{"required": ["definition_key"]}, {"required": ["definition_id"]}]}

    definition_key = fields.String(validate=validate.Length(min=1), metadata={
        "description": "start the latest version of this process (exactly one of definition_key and definition_id)"})
    definition_id = fields.String(validate=validate.Length(min=1), metadata={
        "description": "start this version (exactly one of definition_key and definition_id)"})
    business_key = fields.String(allow_none=True, validate=validate.Length(max=BUSINESS_KEY_MAX))
    variables = fields.Dict(keys=fields.String(), load_default=dict)
    force = StrictBoolean(load_default=False, metadata={
        "description": "an admin may start a process that is not executable"})


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
    reason = fields.String(metadata={"description": "why (recorded in the history); or `reason` in a JSON body"})


class ReasonBodySchema(Loose):
    """An optional JSON body of suspend, resume and terminate: why (the query's `reason` wins)."""

    reason = fields.String(allow_none=True)


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


class HistoryExportQuerySchema(Loose):
    """The [from, to) range of an export; `to` before `from` is a 400 naming `to`."""

    start = Instant(data_key="from", required=True, metadata={
        "type": "string", "pattern": INSTANT_PATTERN,
        "description": "events at or after it: a date or date-time, with an offset or Z (none: UTC)"})
    end = Instant(data_key="to", required=True, metadata={
        "type": "string", "pattern": INSTANT_PATTERN,
        "description": "events before it (not before `from`): a date or date-time, with an offset or Z (none: UTC)"})
    instance_id = fields.String(metadata={"description": "only this instance's events"})

    @validates_schema
    def _in_order(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] < data["start"]:
            raise ValidationError("must not be before 'from'", "to")


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
    overdue = TextBoolean(load_default=False)


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
    process_instance_id = fields.String(attribute="instance_id", allow_none=True, metadata={
        "description": "null for an incident of a definition (its timer start job kept failing)"})
    process_definition_id = fields.String(attribute="definition_id", allow_none=True, metadata={
        "description": "the definition of a timer start job's incident, else null"})
    task_id = fields.String()
    activity_id = fields.String(allow_none=True)
    error = fields.String()
    state = fields.String()
    created_at = UtcDateTime()
    resolved_at = UtcDateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)


class IncidentQuerySchema(Loose):
    process_instance_id = fields.String()
    process_definition_id = fields.String()
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
    business_key = fields.String(allow_none=True, validate=validate.Length(max=BUSINESS_KEY_MAX))
    correlation_keys = fields.Dict(keys=fields.String(), load_default=dict)
    variables = fields.Dict(keys=fields.String(), load_default=dict)
    all = StrictBoolean(load_default=False)
    ttl_ms = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_DELAY_MS))


class SignalSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    variables = fields.Dict(keys=fields.String(), load_default=dict)


class FailureRecordedSchema(Schema):
    status = fields.String(metadata={"enum": ["recorded"]})


class LockExtendedSchema(Schema):
    id = fields.String()
    lock_expires_at = UtcDateTime()


class DeliverySchema(Schema):
    started = fields.List(fields.String())
    delivered = fields.List(fields.String())
    buffered = fields.Boolean()


class RepairSchema(Schema):
    """Every repair says why: the reason goes into the instance's history (422 naming `reason` when it is
    missing, null or blank)."""

    reason = EngineChecked(metadata={"description": "why the instance is repaired"})


class MoveTokenSchema(RepairSchema):
    from_activity_id = fields.String(required=True)
    to_activity_id = fields.String(required=True)


class RewindSchema(RepairSchema):
    to_activity_id = fields.String(required=True)


class MigrateSchema(RepairSchema):
    to_definition_id = fields.String(required=True)
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                          metadata={"description": "activity id in the current version -> its id in the target"})
