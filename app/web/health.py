"""GET /healthz (the process answers), GET /readyz (Redis answers), GET /metrics."""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.infra.metrics import queue_registry
from app.web.services import services

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
    return jsonify({"status": "ready", "redis": "ok", "dry_run": running.settings.dry_run})


@bp.get("/metrics")
def metrics() -> Response:
    queue = services().queue
    return Response(generate_latest(queue_registry(queue)), mimetype=CONTENT_TYPE_LATEST)
