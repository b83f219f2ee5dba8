"""POST /webhooks/zendesk: verify, validate, enqueue, answer in milliseconds.

The checks run in a fixed order, each exit with one dotted log name:
size -> signature (timestamp window, HMAC on the raw bytes) -> content type -> JSON ->
required fields -> event type -> pre-screen (which queue) -> dedupe + enqueue -> 202.
An accepted webhook costs one Redis round trip (app.webhooks.intake); the outcome counters of
every other answer are batched in the process (app.infra.metrics.OutcomeCounter).
Answers never echo the body back, and never 500 on bad input: Zendesk does not retry 5xx for
business errors and counts them toward its circuit breaker.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from flask import Blueprint, Response, request

from app import defaults
from app.infra.logs import log_request_event
from app.webhooks.events import InvalidEvent, event_type_of, parse_event
from app.webhooks.services import services
from app.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify_signature

log = logging.getLogger("escalator.webhook")

bp = Blueprint("webhooks", __name__)


# Counted by the enqueue script itself, in the same round trip as the job.
COUNTED_IN_REDIS = ("accepted", "duplicate")


def _answer(status: int, outcome: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    if outcome not in COUNTED_IN_REDIS:
        services().outcomes.add(outcome)
    return Response(json.dumps(payload, separators=(",", ":")), status, headers, mimetype="application/json")


def _log(event: str, *, level: int = logging.INFO, **fields: Any) -> None:
    log_request_event(request.environ, log, event, level=level, **fields)


def _refuse(status: int, outcome: str, message: str, **extra: Any) -> Response:
    _log(f"webhook.zendesk.{outcome}", level=logging.WARNING, status=status, reason=message)
    return _answer(status, outcome, {"error": outcome, "message": message, **extra})


def _read_body(limit: int) -> bytes | None:
    if request.content_length is not None and request.content_length > limit:
        return None
    data = request.stream.read(limit + 1)
    return None if len(data) > limit else data


@bp.post("/webhooks/zendesk")
def receive_zendesk_webhook() -> Response:
    running = services()
    settings = running.settings

    raw = _read_body(settings.max_body_bytes)
    if raw is None:
        return _refuse(413, "too-large", f"body is larger than {settings.max_body_bytes} bytes")

    try:
        verify_signature(
            settings.accepted_secrets,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            raw,
            now=running.clock(),
            tolerance_seconds=settings.signature_tolerance_seconds,
        )
    except SignatureError as error:
        return _refuse(401, "invalid-signature", str(error))

    if request.mimetype != "application/json":
        return _refuse(
            415, "unsupported-media-type", f"Content-Type must be application/json, not {request.mimetype or 'none'}"
        )

    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        return _refuse(400, "invalid-json", f"body is not valid JSON ({type(error).__name__})")

    try:
        event = parse_event(body)
    except InvalidEvent as error:
        return _refuse(422, "invalid-event", error.problem, fields=error.missing)

    event_type = event_type_of(body)
    if event is None:
        _log("webhook.zendesk.ignored", event_type=event_type)
        return _answer(202, "ignored", {"ignored": event_type, "reason": "event type not handled"})

    lane = running.prescreen.lane(event)
    try:
        enqueued = running.intake.enqueue_once(running.queues[lane], event, settings.event_seen_ttl_seconds)
    except redis.RedisError as error:
        _log(
            "webhook.zendesk.redis-unavailable",
            level=logging.ERROR,
            event_id=event.event_id,
            ticket=event.ticket_id,
            error=type(error).__name__,
        )
        retry_after = str(defaults.WEBHOOK_RETRY_AFTER_SECONDS)
        return _answer(
            503,
            "redis-unavailable",
            {"error": "redis-unavailable", "message": "queue unavailable, retry later"},
            headers={"Retry-After": retry_after},
        )

    outcome = "duplicate" if enqueued.duplicate else "accepted"
    _log(
        f"webhook.zendesk.{outcome}",
        event_id=event.event_id,
        event_type=event_type,
        ticket=event.ticket_id,
        job_id=enqueued.job_id,
        queue=lane,
    )
    return _answer(202, outcome, {"status": outcome, "job_id": enqueued.job_id})
