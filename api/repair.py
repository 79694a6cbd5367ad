"""Repairs of instances by an admin: retry, move a token, rewind, migrate to another version."""
from __future__ import annotations

from api.auth import current_actor
from api.blueprints import api_blueprint, committed, json_body
from api.docs import operation
from api.extensions import db
from api.instances import instance_response
from api.schemas import InstanceSchema, MigrateSchema, MoveTokenSchema, RepairSchema, RewindSchema
from engine.repair import migration, repair

bp = api_blueprint("repair", __name__)

ERRORS = (400, 401, 403, 404, 409, 422)


def _repaired(schema, instance_id: str, command, *arguments: str):
    """Parse the body, run the repair with its arguments and the reason, answer with the instance."""
    args = schema().load(json_body())
    row = command(db.session, instance_id, current_actor(), *(args[name] for name in arguments), args["reason"])
    return committed(instance_response(row))


@bp.post("/process-instances/<instance_id>/retry")
@operation("Run again what failed: activities in error and open incidents (admin, with a reason)",
           body=RepairSchema, response=InstanceSchema, errors=ERRORS)
def retry(instance_id):
    return _repaired(RepairSchema, instance_id, repair.retry_instance)


@bp.post("/process-instances/<instance_id>/move")
@operation("Cancel the token at one activity and start one at another (admin, with a reason)",
           body=MoveTokenSchema, response=InstanceSchema, errors=ERRORS)
def move(instance_id):
    return _repaired(MoveTokenSchema, instance_id, repair.move_token, "from_activity_id", "to_activity_id")


@bp.post("/process-instances/<instance_id>/rewind")
@operation("Go back to an earlier activity with the variables the instance had then (admin, with a reason)",
           body=RewindSchema, response=InstanceSchema, errors=ERRORS)
def rewind(instance_id):
    return _repaired(RewindSchema, instance_id, repair.rewind_instance, "to_activity_id")


@bp.post("/process-instances/<instance_id>/migrate")
@operation("Move a suspended instance to another version of its process (admin, with a reason)",
           body=MigrateSchema, response=InstanceSchema, errors=ERRORS)
def migrate(instance_id):
    return _repaired(MigrateSchema, instance_id, migration.migrate_instance, "to_definition_id", "mapping")
