"""Fixtures for the worker tests: a real Redis, a mocked Zendesk API, and an applier."""

from __future__ import annotations

import json

import pytest
import responses

from app import redis_keys
from app.infra.queueing import make_queue
from app.infra.settings import Settings
from app.zendesk import DryRunZendesk, ZendeskClient
from tests.openapi import validate_request
from tests.zendesk.factories import BASE_URL, INTEGRATION_USER_ID, NO_FIELDS, FakeDecide, FakePolicy
from workers.apply import TicketEventApplier

SETTINGS = Settings(
    zendesk_base_url=BASE_URL,
    zendesk_oauth_token="test-token",
    event_seen_ttl_seconds=3600,
    queue_name="escalator-test",
)


@pytest.fixture
def redis_db(real_redis):
    """A real Redis database (REDIS_TEST_URL), empty before and after each test."""
    return real_redis


@pytest.fixture
def api():
    """The Zendesk API, mocked; every request a test does not register fails it."""
    with responses.RequestsMock() as rsps:
        yield rsps


@pytest.fixture
def decide():
    return FakeDecide()


@pytest.fixture
def known_integration_user(redis_db):
    """The integration user's id, already cached (as after the first job of the day)."""
    redis_db.set(redis_keys.INTEGRATION_USER_ID, INTEGRATION_USER_ID)


@pytest.fixture
def make_applier(redis_db, decide):
    """make_applier(zendesk=..., policy=..., dry_run=...): an applier with the fake engine.

    The default policy configures no custom fields, as config/policy.toml ships.
    """

    def make(zendesk=None, policy=None, dry_run: bool = False) -> TicketEventApplier:
        zendesk = zendesk or (
            DryRunZendesk(show_text=True) if dry_run else ZendeskClient(BASE_URL, oauth_token="test-token")
        )
        return TicketEventApplier(
            zendesk,
            redis_db,
            policy or FakePolicy(NO_FIELDS),
            done_ttl_seconds=SETTINGS.event_seen_ttl_seconds,
            decide=decide,
        )

    return make


@pytest.fixture
def applier(make_applier, known_integration_user):
    return make_applier()


@pytest.fixture
def queue(redis_db):
    return make_queue(redis_db, SETTINGS.queue_name)


@pytest.fixture
def put_bodies(api):
    """put_bodies(): the JSON bodies PUT so far, each checked against Zendesk's OpenAPI file."""

    def bodies() -> list[dict]:
        found = [json.loads(c.request.body) for c in api.calls if c.request.method == "PUT"]
        for body in found:
            validate_request("PUT", "/api/v2/tickets/{ticket_id}", body)
        return found

    return bodies
