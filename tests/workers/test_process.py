"""workers.process: the worker's collaborators are built once per process, not per job."""

import logging

import pytest

from app.infra.settings import Settings
from app.oncall.pagerduty import DryRunPagerDuty
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


@pytest.mark.redis
@pytest.mark.parametrize(("routing_key", "said"), [(None, True), ("e93facc04764012d7bfb002500d5d1a6", False)])
def test_start_up_says_in_one_line_when_paging_is_off(redis_test_url, real_redis, caplog, routing_key, said):
    settings = Settings(redis_url=redis_test_url, queue_name="escalator-test", pagerduty_routing_key=routing_key)
    with caplog.at_level(logging.WARNING, logger="escalator.worker"):
        process.run_worker(settings, burst=True)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("worker.paging-off")]
    assert lines == (
        [
            'worker.paging-off detail=PAGERDUTY_ROUTING_KEY is not set: on-call is not paged; notes say "page required, '
            'paging not configured"'
        ]
        if said
        else []
    )
    assert isinstance(process.context(real_redis).paging.pager, type(None) if said else DryRunPagerDuty)
