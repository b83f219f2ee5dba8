"""Fixtures shared by every test: settings, an app on an in-memory Redis, a client, a real Redis,
and the strict OpenAPI check of every Zendesk request a test sends through `responses`."""

from __future__ import annotations

from datetime import UTC, datetime

import fakeredis
import pytest
import redis
import responses

from app.infra.queueing import make_queue
from app.infra.settings import Settings
from app.web.factory import create_app
from tests.admin.documented_apis import documented_violations
from tests.helpers import REDIS_TEST_URL, SECRET, free_port, post_webhook
from tests.openapi import RecordedRequests


@pytest.fixture(autouse=True)
def zendesk_requests_follow_the_openapi_file(monkeypatch):
    """Every request any test sends to a Zendesk API path through `responses` is checked, after
    the test, against Zendesk's OpenAPI file with undeclared properties as errors
    (`tests.openapi.request_violations`), or, for the operations the file lacks, against their own
    references (`tests.admin.documented_apis`); an operation neither documents fails the test.
    The stub server checks its own (tests/stub_zendesk.py)."""
    recorded = RecordedRequests(other_references=documented_violations)
    original = responses.RequestsMock._on_request

    def on_request(self, adapter, request, **kwargs):
        recorded.add_prepared(request)
        return original(self, adapter, request, **kwargs)

    monkeypatch.setattr(responses.RequestsMock, "_on_request", on_request)
    yield recorded
    problems = recorded.violations()
    if problems:
        pytest.fail(
            "requests neither Zendesk's OpenAPI file nor the references of webhooks, schedules and time zones "
            "declare:\n" + "\n".join(problems),
            pytrace=False,
        )


@pytest.fixture
def settings() -> Settings:
    return Settings(webhook_secrets=(SECRET,), redis_url="redis://unused")


@pytest.fixture
def fake_redis():
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.fixture
def app(settings, fake_redis, now):
    return create_app(settings, redis_connection=fake_redis, clock=lambda: now)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AllQueues:
    """The app's three queues (urgent, soon, rest) read as one: the pre-screen spreads jobs over them."""

    def __init__(self, queues):
        self.queues = list(queues)
        self.connection = self.queues[0].connection

    @property
    def count(self) -> int:
        return sum(q.count for q in self.queues)

    @property
    def job_ids(self) -> list[str]:
        return [job_id for q in self.queues for job_id in q.job_ids]

    def get_jobs(self):
        return [job for q in self.queues for job in q.get_jobs()]


@pytest.fixture
def queue(app):
    return AllQueues(app.extensions["escalator"].queues.values())


@pytest.fixture
def post_signed(client, now):
    """POST a body to the webhook endpoint, signed as Zendesk signs it."""

    def post(body, *, secret: str = SECRET, timestamp: str | None = None, headers: dict | None = None):
        return post_webhook(
            client, body, secret=secret, headers=headers, timestamp=timestamp or now.strftime("%Y-%m-%dT%H:%M:%SZ")
        )

    return post


@pytest.fixture(scope="session")
def redis_test_url(tmp_path_factory) -> str:
    """REDIS_TEST_URL when a server answers there; otherwise a throwaway redis-server of our own."""
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
        yield REDIS_TEST_URL
        return
    except redis.ConnectionError:
        pass
    from tests.processes import Process, redis_server_binary

    port = free_port()
    server = Process(
        [redis_server_binary(), "--port", str(port), "--save", "", "--appendonly", "no"],
        env={},
        log_path=tmp_path_factory.mktemp("redis") / "redis.log",
    )
    try:
        server.wait_for_output("Ready to accept connections")
        yield f"redis://127.0.0.1:{port}/15"
    finally:
        server.stop()


@pytest.fixture
def real_redis(redis_test_url):
    """A real Redis server; the test database is emptied before and after."""
    connection = redis.Redis.from_url(redis_test_url)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def real_queue(real_redis):
    return make_queue(real_redis, "escalator-test")


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of this test's own (tests.processes.RedisServer), stopped after it."""
    from tests.processes import RedisServer

    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory).start()
    try:
        yield server
    finally:
        server.stop()
