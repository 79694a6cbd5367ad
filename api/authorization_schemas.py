"""Request and response shapes of grants (Camunda 7's authorization resource, in snake_case)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import UtcDateTime
from engine.identity.authorizations import Permission, ResourceType


class NewAuthorizationSchema(Schema):
    resource_type = fields.String(required=True, validate=validate.OneOf([t.value for t in ResourceType]))
    resource_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "a process definition key or a process instance id; '*' for all"})
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
