"""Request and response shapes of grants (Camunda 7's authorization resource, in snake_case)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import UtcDateTime
from engine.identity.authorizations import ALLOWED, Permission, ResourceType


class NewAuthorizationSchema(Schema):
    """A grant: to exactly one user or group (the engine refuses neither or both, 400), of permissions the
    resource type has (a process instance cannot be started: CREATE_INSTANCE only on a definition)."""

    openapi = {"allOf": [
        {"oneOf": [{"required": ["user_id"]}, {"required": ["group_id"]}]},
        {"oneOf": [{"properties": {"resource_type": {"enum": [kind.value]}, "permissions": {
            "items": {"enum": sorted(p.value for p in ALLOWED[kind])}}}} for kind in ResourceType]}]}

    resource_type = fields.String(required=True, validate=validate.OneOf([t.value for t in ResourceType]))
    resource_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "pattern": r"\S", "description": "a process definition key or a process instance id; '*' for all"})
    user_id = fields.String(validate=validate.Length(min=1, max=120))
    group_id = fields.String(validate=validate.Length(min=1, max=120))
    permissions = fields.List(fields.String(validate=validate.OneOf([p.value for p in Permission])),
                              required=True, validate=validate.Length(min=1))


class AuthorizationSchema(Schema):
    id = fields.Integer()
    resource_type = fields.String()
    resource_id = fields.String()
    user_id = fields.String(allow_none=True)
    group_id = fields.String(allow_none=True)
    permissions = fields.List(fields.String())
    created_at = UtcDateTime()
    created_by = fields.String(allow_none=True)


class AuthorizationEventSchema(Schema):
    id = fields.Integer()
    at = UtcDateTime()
    actor = fields.String(allow_none=True)
    action = fields.String()
    authorization_id = fields.Integer()
    authorization = fields.Dict()
