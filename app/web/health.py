"""GET /healthz (the process answers), GET /readyz (Redis answers), GET /metrics.

/readyz's status is about this web process alone: 200 when its Redis answers, else 503. The body
also says whether a scheduler runs (workers move delayed retries only while one does), for a
person or a dashboard to read; a missing scheduler is not a reason to take the web out of rotation.
"""

from __future__ import annotations

import hmac

import redis
from flask import Blueprint, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.infra.liveness import scheduler_running
from app.infra.metrics import queue_registry
from app.webhooks.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    running = services()
    try:
        running.redis.ping()
    except redis.RedisError as error:
        response = jsonify({"status": "unavailable", "redis": f"unreachable ({type(error).__name__})"})
        response.status_code = 503
        return response
    return jsonify(
        {
            "status": "ready",
            "redis": "ok",
            "dry_run": running.settings.dry_run,
            "scheduler": _scheduler(running.redis, [queue.name for queue in running.queues.values()]),
        }
    )


def _scheduler(connection: redis.Redis, queue_names: list[str]) -> str:
    try:
        return "running" if scheduler_running(connection, queue_names) else "not running"
    except redis.RedisError:
        return "unknown"


@bp.get("/metrics")
def metrics() -> Response:
    running = services()
    token = running.settings.metrics_token
    if token and not _bearer_matches(token):
        return Response(
            "metrics need Authorization: Bearer <ESCALATOR_METRICS_TOKEN>\n",
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    running.outcomes.flush()  # this process's own counts are never stale on a scrape
    registry = queue_registry(list(running.queues.values()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _bearer_matches(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
