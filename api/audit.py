"""The audit trail: verify an instance's hash chain; export history by time range (admins)."""
from __future__ import annotations

import json

from flask import Response, request, stream_with_context

from api.auth import current_actor
from api.blueprints import api_blueprint, require_admin
from api.docs import operation
from api.extensions import db
from api.schemas import ChainReportSchema, HistoryExportLineSchema, HistoryExportQuerySchema
from engine.history.export import export_between
from engine.history.verify import verify_history

bp = api_blueprint("audit", __name__)
NDJSON = "application/x-ndjson"


@bp.get("/process-instances/<instance_id>/history/verify")
@operation("Check the instance's history against its hash chain: the first event that does not fit, if any",
           response=ChainReportSchema, errors=(401, 404))
def verify(instance_id):
    report = verify_history(db.session, instance_id)
    return ChainReportSchema().dump({"valid": report.valid, "events": report.events,
                                     "first_broken": report.first_broken})


@bp.get("/history")
@operation("Every event from `from` (inclusive) to `to` (exclusive), oldest first, as JSON lines (admin only)",
           query=HistoryExportQuerySchema, response=HistoryExportLineSchema, content=NDJSON,
           errors=(400, 401, 403))
def export():
    require_admin(current_actor(), "export the history")
    query = HistoryExportQuerySchema().load(request.args)  # a missing or bad date, or `to` before `from`: 400
    lines = export_between(db.session, query["start"], query["end"], query.get("instance_id") or None)
    return Response(stream_with_context(json.dumps(line, separators=(",", ":")) + "\n" for line in lines),
                    mimetype=NDJSON)
