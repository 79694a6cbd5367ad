"""Grants (admin only): who may read or start what beyond the built-in rules, and their audit log."""
from __future__ import annotations

from api.auth import current_actor
from api.authorization_schemas import AuthorizationEventSchema, AuthorizationSchema, NewAuthorizationSchema
from api.blueprints import api_blueprint, commit, json_body
from api.docs import operation
from api.extensions import db
from engine.identity import authorizations as engine

bp = api_blueprint("authorizations", __name__)


@bp.get("/authorizations")
@operation("Every grant, oldest first (admin)", response=AuthorizationSchema(many=True), errors=(401, 403))
def list_authorizations():
    return AuthorizationSchema(many=True).dump(engine.list_authorizations(db.session))


@bp.post("/authorizations")
@operation("Grant permissions on a process definition (by key) or instance (by id), or on '*', to one user or "
           "group (admin)", body=NewAuthorizationSchema, response=AuthorizationSchema, status=201,
           errors=(400, 401, 403))
def add_authorization():
    args = NewAuthorizationSchema().load(json_body())
    row = engine.add_authorization(db.session, current_actor().name, **args)
    commit()
    return AuthorizationSchema().dump(row), 201


@bp.delete("/authorizations/<int:authorization_id>")  # an integer, so /authorizations/log is not one
@operation("Withdraw a grant (admin)", response=AuthorizationSchema, errors=(401, 403, 404))
def remove_authorization(authorization_id):
    row = engine.remove_authorization(db.session, authorization_id, current_actor().name)
    body = AuthorizationSchema().dump(row)
    commit()
    return body


@bp.get("/authorizations/log")
@operation("The grants' audit log: every grant and removal, oldest first (admin)",
           response=AuthorizationEventSchema(many=True), errors=(401, 403))
def authorization_log():
    return AuthorizationEventSchema(many=True).dump(engine.authorization_log(db.session))
