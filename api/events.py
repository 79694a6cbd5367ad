"""Messages and signals from outside Fuse."""
from __future__ import annotations

from api.auth import current_actor
from api.blueprints import api_blueprint, commit, json_body
from api.docs import operation
from api.extensions import db
from api.schemas import DeliverySchema, MessageSchema, SignalSchema
from engine.events.messages import broadcast_signal, correlate_message

bp = api_blueprint("events", __name__)


@bp.post("/messages")
@operation("Deliver a message to the instance waiting for it (by business key and correlation keys), "
           "or start instances at its message start events", body=MessageSchema, response=DeliverySchema,
           errors=(400, 401, 404, 409))
def message():
    args = MessageSchema().load(json_body())
    delivery = correlate_message(db.session, current_actor(), args["name"], business_key=args.get("business_key"),
                                 correlation_keys=args["correlation_keys"], variables=args["variables"],
                                 deliver_to_all=args["all"], ttl_ms=args["ttl_ms"])
    commit()
    return DeliverySchema().dump(delivery)


@bp.post("/signals")
@operation("Broadcast a signal to every waiting signal catch event and signal start event",
           body=SignalSchema, response=DeliverySchema, errors=(400, 401))
def signal():
    args = SignalSchema().load(json_body())
    delivery = broadcast_signal(db.session, current_actor(), args["name"], args["variables"])
    commit()
    return DeliverySchema().dump(delivery)
