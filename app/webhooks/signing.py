"""Zendesk webhook signatures: base64(HMAC-SHA256(secret, timestamp + raw body)).

The secret string is the HMAC key as-is (its UTF-8 bytes), even though it looks like base64.
`sign` sits next to `verify_signature` so tests and `escalator replay` go through the same path
as Zendesk does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from app.timestamps import format_utc, parse_time, utc_now

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"


class SignatureError(Exception):
    """Why a request is not accepted as coming from Zendesk (safe to show the sender)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp_now() -> str:
    return format_utc(utc_now())


def signed_headers(secret: str, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or timestamp_now()
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify_signature(
    secrets: tuple[str, ...],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: datetime,
    tolerance_seconds: int,
) -> None:
    """Raise SignatureError unless `signature` is valid for one of `secrets` and fresh."""
    if not signature or not timestamp:
        raise SignatureError(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    signed_at = _parse_timestamp(timestamp)
    skew = abs((now - signed_at).total_seconds())
    if skew > tolerance_seconds:
        raise SignatureError(f"timestamp is {int(skew)} s from now; at most {tolerance_seconds} s is accepted")
    # Compare bytes (compare_digest refuses non-ASCII text) against every secret, not just until
    # the first match, so timing tells nothing.
    given = signature.encode("utf-8", "surrogateescape")
    matches = [hmac.compare_digest(sign(secret, timestamp, body).encode("ascii"), given) for secret in secrets]
    if not any(matches):
        raise SignatureError("signature does not match")


def _parse_timestamp(value: str) -> datetime:
    try:
        return parse_time(value)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not an ISO 8601 time with a time zone") from None
