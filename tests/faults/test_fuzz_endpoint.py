"""Property-based fuzzing of POST /webhooks/zendesk on a real Redis: whatever arrives, the answer is
never a 5xx (but the 503 that asks Zendesk to redeliver, which needs Redis gone, not a body), and
nothing that is not signed with the secret ever becomes a job."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.web.factory import create_app
from app.webhooks.signing import signed_headers
from tests.helpers import SAMPLES, SECRET, load_json

pytestmark = pytest.mark.redis

SAMPLE_NAMES = [
    "ticket_created__urgent_incident",
    "ticket_comment_added__end_user_time_sensitive",
    "messaging_ticket_message_added__end_user_urgent",
    "trigger__comment",
    "trigger__created",
]
SAMPLE_BODIES = [load_json(SAMPLES / f"{name}.json") for name in SAMPLE_NAMES]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@st.composite
def mutated_samples(draw) -> bytes:
    """A real webhook body with one field replaced, deleted or nested wrongly."""
    body = json.loads(json.dumps(draw(st.sampled_from(SAMPLE_BODIES))))
    target = body
    path = draw(st.lists(st.sampled_from(["detail", "event", "comment", "author", "message"]), max_size=2))
    for key in path:
        if isinstance(target.get(key), dict):
            target = target[key]
    if target:
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(json_values)
    return json.dumps(body).encode()


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    mutated_samples(),
)
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@pytest.fixture
def client(settings, real_redis):
    return create_app(settings, redis_connection=real_redis, clock=lambda: datetime.now(UTC)).test_client()


def jobs_in(connection) -> int:
    """Jobs on every queue RQ knows of (the endpoint may enqueue on any)."""
    return sum(connection.llen(key) for key in connection.smembers("rq:queues"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    signature=header_values,
    timestamp=header_values,
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
)
def test_an_unsigned_body_is_refused_and_never_queued(client, real_redis, body, signature, timestamp, content_type):
    before = jobs_in(real_redis)
    headers = {"X-Zendesk-Webhook-Signature": signature, "X-Zendesk-Webhook-Signature-Timestamp": timestamp}
    if content_type:
        headers["Content-Type"] = content_type
    answer = client.post("/webhooks/zendesk", data=body, headers=headers)
    assert answer.status_code < 500
    assert answer.status_code in (400, 401, 413, 415)
    assert jobs_in(real_redis) == before


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, other_secret=st.text(min_size=1, max_size=30).filter(lambda s: s != SECRET))
def test_a_body_signed_with_another_secret_is_refused_and_never_queued(client, real_redis, body, other_secret):
    before = jobs_in(real_redis)
    answer = client.post("/webhooks/zendesk", data=body, headers=signed_headers(other_secret, body))
    assert answer.status_code == 401
    assert jobs_in(real_redis) == before


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_a_signed_body_of_any_shape_never_gets_a_5xx(client, real_redis, body):
    answer = client.post("/webhooks/zendesk", data=body, headers=signed_headers(SECRET, body))
    assert answer.status_code < 500, answer.get_data(as_text=True)
    assert answer.status_code in (202, 400, 413, 415, 422)
