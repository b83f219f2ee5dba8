"""The one HTTP call both notice clients make: POST JSON, no redirects, no sleeping, typed errors.

Retries are the job's business (it reschedules), never the client's, so a worker is never held
by a vendor that is slow or rate limiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from app import __version__, defaults
from app.infra.logs import log_event
from app.oncall.errors import NoticeError, NoticeRateLimited, NoticeRejected, NoticeUnavailable

log = logging.getLogger("escalator.oncall")

USER_AGENT = f"escalator/{__version__} (+https://github.com/escalator)"
Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (defaults.NOTICE_CONNECT_TIMEOUT_SECONDS, defaults.NOTICE_READ_TIMEOUT_SECONDS)

# Called once per request with the vendor and the outcome ("202", "429", "timeout", ...): the hook
# for a per-vendor call counter in /metrics.
Observe = Callable[[str, str], None]


def post_json(
    session: requests.Session,
    vendor: str,
    url: str,
    body: dict[str, Any],
    *,
    timeout: Timeout,
    describe_error: Callable[[requests.Response], str],
    observe: Observe | None = None,
) -> requests.Response:
    """POST `body`; the 2xx response, or the typed error. `describe_error` gives the vendor's short
    reason for a refusal (never secrets: it must not echo the request)."""
    started = time.monotonic()
    try:
        response = session.post(url, json=body, timeout=timeout, allow_redirects=False)
    except requests.Timeout as e:
        _observe(observe, vendor, "timeout")
        raise NoticeUnavailable(f"{vendor}: timed out ({type(e).__name__})", vendor) from None
    except requests.ConnectionError as e:
        _observe(observe, vendor, "connection_error")
        raise NoticeUnavailable(f"{vendor}: connection failed ({type(e).__name__})", vendor) from None
    status = response.status_code
    _observe(observe, vendor, str(status))
    duration_ms = round((time.monotonic() - started) * 1000)
    log_event(log, "oncall.request", level=logging.DEBUG, vendor=vendor, status=status, duration_ms=duration_ms)
    if 200 <= status < 300:
        return response
    message = f"{vendor}: {status} {describe_error(response)}".rstrip()
    if status == 429:
        raise NoticeRateLimited(message, vendor, retry_after=retry_after(response))
    if status >= 500:
        raise NoticeUnavailable(message, vendor, status)
    if 300 <= status < 400:
        raise NoticeRejected(f"{message} (a redirect: check the configured URL)", vendor, status)
    if 400 <= status < 500:
        raise NoticeRejected(message, vendor, status)
    raise NoticeError(message, vendor, status)


def retry_after(response: requests.Response, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date); else our default."""
    value = (response.headers.get("Retry-After") or "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return defaults.NOTICE_RATE_LIMIT_FALLBACK_SECONDS
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers.update({"User-Agent": USER_AGENT})
    return session


def _observe(observe: Observe | None, vendor: str, outcome: str) -> None:
    if observe is not None:
        observe(vendor, outcome)
