"""GET /metrics: the Prometheus text format, for a scraper.

Open by default, as Prometheus scrapes usually are (bind the server to a private network, or put
it behind a proxy); with FUSE_METRICS_TOKEN set, a scraper must send `Authorization: Bearer <it>`.
"""
from __future__ import annotations

import hmac
import os

from flask import Blueprint, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder

from api.docs import operation
from api.extensions import db
from engine.errors import Unauthorized
from engine.reports.metrics_collector import DatabaseCollector

bp = Blueprint("metrics", __name__)
METRICS_TEXT = {"type": "string", "description": "Prometheus text exposition format 0.0.4 (OpenMetrics "
                "when the Accept header asks for application/openmetrics-text)"}


def process_metrics():
    """This process's registry; with several serving processes (PROMETHEUS_MULTIPROC_DIR, set by `fuse serve
    --workers`), one that sums what every process wrote, so a scrape answered by any of them tells the same."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


PROCESS_METRICS = process_metrics()


class Scrape:
    """What one scrape reports: this process's metrics, then the database's."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


def check_metrics_token() -> None:
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise Unauthorized("this server's metrics need its metrics token (FUSE_METRICS_TOKEN) as a bearer token")


@bp.get("/metrics")
@operation("Metrics in the Prometheus text format: instances, user tasks, incidents, job lag, activity and "
           "handler durations (a bearer token only when the server sets FUSE_METRICS_TOKEN)",
           response=METRICS_TEXT, content=CONTENT_TYPE_PLAIN_0_0_4, errors=(401,))
def metrics():
    check_metrics_token()
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(Scrape(PROCESS_METRICS, DatabaseCollector(db.engine))), content_type=content_type)
