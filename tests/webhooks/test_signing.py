from datetime import UTC, datetime, timedelta

import pytest

from app.webhooks.signing import SignatureError, sign, verify_signature

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TS = "2026-11-27T15:00:00Z"
BODY = b'{"type": "zen:event-type:ticket.created"}'


def test_sign_uses_the_secret_string_as_key_and_base64_output():
    # Zendesk's older docs published this vector for HMAC(secret, BODY + TIMESTAMP); feeding our
    # function the same bytes in that order must reproduce it, which pins key handling and encoding.
    secret = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="
    assert sign(secret, '{"say": "hello"}', b"2021-07-25T10:00:00Z") == "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw="


def test_signature_covers_timestamp_then_body():
    assert sign("s", TS, BODY) == sign("s", TS[:10], TS[10:].encode() + BODY)


def verify(signature, *, secrets=("s",), timestamp=TS, body=BODY, now=NOW, tolerance=300):
    verify_signature(secrets, timestamp, signature, body, now=now, tolerance_seconds=tolerance)


def test_valid_signature_passes():
    verify(sign("s", TS, BODY))


def test_any_configured_secret_passes_for_rotation():
    verify(sign("new", TS, BODY), secrets=("old", "new"))


@pytest.mark.parametrize(
    "signature, kwargs, reason",
    [
        (None, {}, "missing"),
        (sign("s", TS, BODY), {"timestamp": None}, "missing"),
        (sign("other", TS, BODY), {}, "does not match"),
        (sign("s", TS, BODY), {"body": BODY + b" "}, "does not match"),
        (sign("s", TS, BODY), {"now": NOW + timedelta(seconds=301)}, "from now"),
        (sign("s", TS, BODY), {"now": NOW - timedelta(seconds=301)}, "from now"),
        (sign("s", "yesterday", BODY), {"timestamp": "yesterday"}, "ISO 8601"),
        (sign("s", "2026-11-27T15:00:00", BODY), {"timestamp": "2026-11-27T15:00:00"}, "time zone"),
    ],
)
def test_bad_signatures_are_refused_with_a_reason(signature, kwargs, reason):
    with pytest.raises(SignatureError, match=reason):
        verify(signature, **kwargs)


def test_timestamp_at_the_edge_of_the_window_passes():
    verify(sign("s", TS, BODY), now=NOW + timedelta(seconds=300))
