"""Error reports to Sentry, when SENTRY_DSN is set, with customer text and secrets scrubbed.

The SDK's defaults (no PII) still send the request body, the local variables of every stack
frame, exception messages (which may quote ticket text) and the webhook's signature header
(measured with sentry-sdk 2.75; docs/performance.md). So bodies are never sent, locals are
off, and `scrub` strips what is left before an event leaves the process.
"""

from __future__ import annotations

import logging
from typing import Any

from app.infra.logs import log_event
from app.infra.settings import Settings

log = logging.getLogger("escalator.sentry")

KEEP_HEADERS = frozenset({"content-type", "content-length", "user-agent"})
FILTERED = "[Filtered]"

_initialized = False


def scrub(event: Any, _hint: Any = None) -> Any:
    """Remove request data, headers but a harmless few, exception messages, frame variables, RQ job
    descriptions and breadcrumb data from a Sentry event. Log messages stay: they carry ids, never text."""
    request = event.get("request") or {}
    for key in ("data", "cookies", "query_string", "env"):
        request.pop(key, None)
    headers = request.get("headers") or {}
    for name in list(headers):
        if name.lower() not in KEEP_HEADERS:
            headers[name] = FILTERED
    for exception in (event.get("exception") or {}).get("values", []):
        exception["value"] = FILTERED
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    rq_job = (event.get("extra") or {}).get("rq-job")
    if isinstance(rq_job, dict):
        for key in ("description", "args", "kwargs"):
            if key in rq_job:
                rq_job[key] = FILTERED
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        crumb.pop("data", None)
    return event


def init_sentry(settings: Settings, component: str) -> bool:
    """Start reporting errors to Sentry when SENTRY_DSN is set (once per process); True if on."""
    global _initialized
    if not settings.sentry_dsn or _initialized:
        return _initialized
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        integrations=[FlaskIntegration(), RqIntegration()],
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub,
        before_send_transaction=scrub,
        traces_sample_rate=0.0,
        server_name=component,
    )
    _initialized = True
    log_event(log, "sentry.enabled", component=component)
    return True
