"""Who am I: the caller's user, groups, and when and how it signed in (auth_time, amr)."""
from __future__ import annotations

from marshmallow import Schema, fields

from api.auth import current_actor
from api.blueprints import api_blueprint
from api.docs import operation
from api.schemas import UtcDateTime

bp = api_blueprint("me", __name__)


class MeSchema(Schema):
    user = fields.String(attribute="name")
    groups = fields.Function(lambda actor: sorted(actor.groups))
    auth_time = UtcDateTime(allow_none=True,
                            metadata={"description": "when the person signed in (for a token: this request)"})
    amr = fields.List(fields.String(), metadata={"description": 'how: "pwd", "otp" (second factor), "token"'})
    acr = fields.String(allow_none=True,
                        metadata={"description": "single sign-on: the identity provider's authentication context"})
    second_factor = fields.Boolean()


@bp.get("/me")
@operation("The caller: user, groups, and when and how it authenticated", response=MeSchema, errors=(401,))
def me():
    return MeSchema().dump(current_actor())
