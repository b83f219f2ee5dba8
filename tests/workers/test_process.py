"""workers.process: the worker's collaborators are built once per process, not per job."""

import pytest

from app.infra.settings import Settings
from app.zendesk import DryRunZendesk, ZendeskClient
from workers import process


@pytest.fixture(autouse=True)
def no_context():
    process.install(None)
    yield
    process.install(None)


def test_the_context_is_built_once_and_reused(fake_redis, monkeypatch):
    monkeypatch.delenv("ZENDESK_OAUTH_TOKEN", raising=False)
    first = process.context(fake_redis)
    assert process.context(fake_redis) is first
    assert isinstance(first.zendesk, DryRunZendesk) and first.applier.zendesk is first.zendesk


def test_an_installed_context_is_used_as_given(fake_redis):
    settings = Settings(
        zendesk_base_url="https://acme.zendesk.com", zendesk_oauth_token="t", event_seen_ttl_seconds=120
    )
    built = process.WorkerContext.build(settings, fake_redis)
    process.install(built)

    assert process.context(fake_redis) is built
    assert isinstance(built.zendesk, ZendeskClient) and built.zendesk.throttle is not None
    assert built.applier.done_ttl_seconds == 120
