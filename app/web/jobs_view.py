"""GET /jobs/<job_id>: where a webhook's job is (queued, scheduled, finished, failed) and its result.

The result is the worker's short status string ("updated", "noop", ...), never ticket text.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from rq.exceptions import NoSuchJobError
from rq.job import Job

from app.webhooks.services import services

bp = Blueprint("jobs", __name__)


@bp.get("/jobs/<job_id>")
def show_job(job_id: str) -> ResponseReturnValue:
    running = services()
    try:
        job = Job.fetch(job_id, connection=running.redis, serializer=running.queue.serializer)
    except NoSuchJobError:
        response = jsonify({"error": "not-found", "message": f"no job {job_id} (never queued, or expired)"})
        response.status_code = 404
        return response
    status = job.get_status()
    payload: dict[str, Any] = {"job_id": job.id, "status": str(getattr(status, "value", status))}
    if payload["status"] == "finished":
        payload["result"] = job.return_value()
    if payload["status"] == "failed":
        latest = job.latest_result()
        payload["error"] = (latest.exc_string or "").strip().splitlines()[-1] if latest and latest.exc_string else None
    return jsonify(payload)
