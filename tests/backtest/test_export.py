"""Reading the account: export paging, the comments fallback, roles, rate limits and resume.

Zendesk is mocked at the HTTP layer (`responses`); the client is the worker's own. A fake clock
records every wait instead of sleeping.
"""

import itertools
import json
import shutil
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from click.testing import CliRunner

from app.backtest.limits import GaveUp, PacedReader
from app.backtest.run import Options, run_backtest
from app.backtest.run_dir import STATE, TICKETS
from app.cli import main
from app.redis_keys import ZENDESK_TOKENS
from app.zendesk.client import ZendeskClient
from tests.backtest import export_pages as pages
from tests.backtest.openapi_params import undeclared_query_parameters

EXPORT_TICKETS = f"{pages.BASE_URL}/api/v2/incremental/tickets/cursor"
EXPORT_EVENTS = f"{pages.BASE_URL}/api/v2/incremental/ticket_events"
COMMENTS_103 = f"{pages.BASE_URL}/api/v2/tickets/103/comments"
SHOW_MANY = f"{pages.BASE_URL}/api/v2/users/show_many"
ME = f"{pages.BASE_URL}/api/v2/users/me"


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Timed:
    """The client, noting the fake time of each request."""

    def __init__(self, client, clock):
        self.client, self.clock, self.sent = client, clock, []

    def request(self, method, path, *, params=None):
        self.sent.append((self.clock.now, path))
        return self.client.request(method, path, params=params)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def timed(clock):
    return Timed(ZendeskClient(pages.BASE_URL, oauth_token="token"), clock)


@pytest.fixture
def reader(timed, clock):
    # The defaults: 10 a minute on the exports, 20 a minute in all (80 x 0.25).
    return lambda: PacedReader(timed, export_per_minute=10, shared_per_minute=20, clock=clock, sleep=clock.sleep)


def options(tmp_path, policy):
    return Options(out=tmp_path, policy=policy, mode="event", since=pages.SINCE, until=pages.UNTIL)


def sent(api) -> list[tuple[str, dict]]:
    """(path, query) of every request, in order."""
    return [(urlsplit(c.request.url).path, dict(parse_qsl(urlsplit(c.request.url).query))) for c in api.calls]


def register_all(api, events_page_2=None):
    api.get(ME, json={"user": {"id": pages.ME, "role": "admin"}})
    api.get(
        EXPORT_TICKETS,
        match=[responses.matchers.query_param_matcher({"start_time": str(int(pages.SINCE.timestamp()))})],
        json=pages.TICKETS_PAGE_1,
    )
    api.get(
        EXPORT_TICKETS,
        match=[responses.matchers.query_param_matcher({"cursor": "c1"})],
        json=pages.TICKETS_PAGE_1 | pages.TICKETS_PAGE_2,
    )
    register_events(api, events_page_2)


def register_events(api, events_page_2=None):
    since = str(int(pages.SINCE.timestamp()))
    api.get(
        EXPORT_EVENTS,
        match=[responses.matchers.query_param_matcher({"start_time": since, "include": "comment_events"})],
        json=pages.EVENTS_PAGE_1,
    )
    page_2 = {"start_time": str(pages.BOUNDARY), "include": "comment_events"}
    if events_page_2 is None:
        api.get(EXPORT_EVENTS, match=[responses.matchers.query_param_matcher(page_2)], json=pages.EVENTS_PAGE_2)
    else:
        api.get(EXPORT_EVENTS, match=[responses.matchers.query_param_matcher(page_2)], **events_page_2)


def register_after_events(api):
    size = {"include": "users", "page[size]": "100"}
    api.get(COMMENTS_103, match=[responses.matchers.query_param_matcher(size)], json=pages.COMMENTS_103_PAGE_1)
    api.get(
        COMMENTS_103,
        match=[responses.matchers.query_param_matcher({**size, "page[after]": "k1"})],
        json=pages.COMMENTS_103_PAGE_2,
    )
    api.get(
        SHOW_MANY,
        match=[responses.matchers.query_param_matcher({"ids": "501", "include_deleted": "true"})],
        json=pages.USERS,
    )


SINCE = str(int(pages.SINCE.timestamp()))
FIRST_RUN = [
    ("/api/v2/users/me", {}),
    ("/api/v2/incremental/tickets/cursor", {"start_time": SINCE}),
    ("/api/v2/incremental/tickets/cursor", {"cursor": "c1"}),
    ("/api/v2/incremental/ticket_events", {"start_time": SINCE, "include": "comment_events"}),
]
REST = [
    ("/api/v2/incremental/ticket_events", {"start_time": str(pages.BOUNDARY), "include": "comment_events"}),
    ("/api/v2/tickets/103/comments", {"include": "users", "page[size]": "100"}),
    ("/api/v2/tickets/103/comments", {"include": "users", "page[size]": "100", "page[after]": "k1"}),
    ("/api/v2/users/show_many", {"ids": "501", "include_deleted": "true"}),
]


def test_the_export_pages_through_tickets_and_events_and_assembles_the_histories(tmp_path, policy, progress, reader):
    with responses.RequestsMock() as api:
        register_all(api)
        register_after_events(api)
        outcome = run_backtest(options(tmp_path, policy), progress, reader)
        requests = sent(api)

    assert requests == FIRST_RUN + REST
    histories = [json.loads(line) for line in (tmp_path / TICKETS).read_text().splitlines()]
    assert histories == pages.EXPECTED_HISTORIES
    assert outcome.zendesk_requests == 8
    # 101: urgent at creation; its comment is time-sensitive (urgent kept). 103: time-sensitive.
    assert outcome.findings.groups == {"both": 1, "policy_only": 1, "team_only": 0, "neither": 0}


def test_every_request_uses_only_query_parameters_zendesks_openapi_file_declares(tmp_path, policy, progress, reader):
    with responses.RequestsMock() as api:
        register_all(api)
        register_after_events(api)
        run_backtest(options(tmp_path, policy), progress, reader)
        requests = sent(api)

    for path, query in requests:
        assert undeclared_query_parameters(path, query) == [], path


def test_requests_keep_to_the_export_limit_and_the_share_of_the_services_budget(
    tmp_path, policy, progress, timed, reader
):
    with responses.RequestsMock() as api:
        register_all(api)
        register_after_events(api)
        run_backtest(options(tmp_path, policy), progress, reader)

    times = [at for at, _ in timed.sent]
    export_times = [at for at, path in timed.sent if "/incremental/" in path]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 3.0  # 20 a minute in all
    assert min(b - a for a, b in itertools.pairwise(export_times)) >= 6.0  # 10 a minute


def test_a_429_waits_for_retry_after_then_goes_on(tmp_path, policy, progress, reader, clock):
    with responses.RequestsMock() as api:
        api.get(EXPORT_TICKETS, status=429, headers={"Retry-After": "37"}, json={"error": "TooManyRequests"})
        register_all(api)
        register_after_events(api)
        run_backtest(options(tmp_path, policy), progress, reader)
        requests = sent(api)

    assert requests[1] == requests[2] == ("/api/v2/incremental/tickets/cursor", {"start_time": SINCE})
    assert 37.0 in clock.sleeps


def test_an_interrupted_export_continues_from_its_saved_place_with_no_request_repeated(
    tmp_path, policy, progress, reader
):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        register_all(api, events_page_2={"status": 503, "json": {"error": "ServiceUnavailable"}})
        with pytest.raises(GaveUp):
            run_backtest(options(tmp_path, policy), progress, reader)
        first = sent(api)

    assert first == FIRST_RUN + [REST[0]] * 5  # five tries of page 2, then it stops
    state = json.loads((tmp_path / STATE).read_text())
    assert state["export"]["phase"] == "events"
    assert state["export"]["events_start"] == pages.BOUNDARY
    assert state["export"]["boundary_ids"] == [1003, 1004]  # page 2 repeats them; they are dropped

    with responses.RequestsMock() as api:
        page_2 = {"start_time": str(pages.BOUNDARY), "include": "comment_events"}
        api.get(EXPORT_EVENTS, match=[responses.matchers.query_param_matcher(page_2)], json=pages.EVENTS_PAGE_2)
        register_after_events(api)
        outcome = run_backtest(options(tmp_path, policy), progress, reader)
        second = sent(api)

    assert second == REST
    histories = [json.loads(line) for line in (tmp_path / TICKETS).read_text().splitlines()]
    assert histories == pages.EXPECTED_HISTORIES  # nothing twice
    assert outcome.zendesk_requests == 4 + 5 + 4


def test_a_run_killed_in_the_tickets_phase_continues_from_the_cursor_it_saved(tmp_path, policy, progress, reader):
    """Killed (SIGKILL, a lost dyno: no `finally` runs) while page 2 of the tickets export is in
    flight, a run leaves only what it saved on disk by then. The next run must start from page 1's
    cursor, and keep page 1's tickets without counting them twice."""
    run, killed = tmp_path / "run", tmp_path / "killed"

    def killed_here(request):
        if not killed.exists():
            shutil.copytree(run, killed)  # the folder as a kill at this moment leaves it
        return 503, {}, json.dumps({"error": "ServiceUnavailable"})

    with responses.RequestsMock() as api:
        api.get(ME, json={"user": {"id": pages.ME, "role": "admin"}})
        api.get(
            EXPORT_TICKETS,
            match=[responses.matchers.query_param_matcher({"start_time": SINCE})],
            json=pages.TICKETS_PAGE_1,
        )
        api.add_callback(
            responses.GET, EXPORT_TICKETS, killed_here, match=[responses.matchers.query_param_matcher({"cursor": "c1"})]
        )
        with pytest.raises(GaveUp):
            run_backtest(options(run, policy), progress, reader)

    state = json.loads((killed / STATE).read_text())
    assert (state["export"]["phase"], state["export"]["tickets_cursor"]) == ("tickets", "c1")

    with responses.RequestsMock() as api:
        api.get(
            EXPORT_TICKETS,
            match=[responses.matchers.query_param_matcher({"cursor": "c1"})],
            json=pages.TICKETS_PAGE_1 | pages.TICKETS_PAGE_2,
        )
        register_events(api)
        register_after_events(api)
        run_backtest(options(killed, policy), progress, reader)
        resumed = sent(api)

    assert resumed == [("/api/v2/incremental/tickets/cursor", {"cursor": "c1"}), FIRST_RUN[3], *REST]
    histories = [json.loads(line) for line in (killed / TICKETS).read_text().splitlines()]
    assert histories == pages.EXPECTED_HISTORIES  # 101 from page 1 kept, once


def test_a_finished_run_run_again_asks_zendesk_nothing(tmp_path, policy, progress, reader):
    with responses.RequestsMock() as api:
        register_all(api)
        register_after_events(api)
        run_backtest(options(tmp_path, policy), progress, reader)
    with responses.RequestsMock() as api:
        again = run_backtest(options(tmp_path, policy), progress, reader)
        assert len(api.calls) == 0
    assert again.findings.groups["both"] == 1


ACCOUNT_ENV = {
    "ZENDESK_BASE_URL": pages.BASE_URL,
    "ZENDESK_OAUTH_TOKEN": "token",
    "ZENDESK_REQUESTS_PER_MINUTE": "2500",
    "REDIS_URL": "",
}
WINDOW = ["--since", "2026-10-01T00:00:00Z", "--until", "2026-10-08T00:00:00Z"]
FAST = ["--max-share", "1", "--export-per-minute", "100"]
NO_SHARED_BUDGET = "REDIS_URL is not set, so the backtest cannot draw from the budget the workers share"


def test_the_command_reads_the_account_from_the_services_settings(tmp_path):
    with responses.RequestsMock() as api:
        register_all(api)
        register_after_events(api)
        result = CliRunner(env=ACCOUNT_ENV).invoke(main, ["backtest", *WINDOW, "--out", str(tmp_path), *FAST])
        authorization = api.calls[1].request.headers["Authorization"]

    assert result.exit_code == 0, result.output
    assert (
        "escalator backtest: 2 tickets replayed, tickets created from 2026-10-01T00:00:00Z to 2026-10-08T00:00:00Z"
        in result.output
    )
    assert "requests this backtest sent to Zendesk: 8" in result.output
    assert authorization == "Bearer token"
    assert result.output.count(NO_SHARED_BUDGET) == 1  # said once, not per request


@pytest.mark.redis
def test_with_the_services_redis_every_request_draws_from_the_workers_budget(tmp_path, real_redis, redis_test_url):
    env = {**ACCOUNT_ENV, "REDIS_URL": redis_test_url}
    with responses.RequestsMock() as api:
        register_all(api)
        register_after_events(api)
        result = CliRunner(env=env).invoke(main, ["backtest", *WINDOW, "--out", str(tmp_path), *FAST])

    assert result.exit_code == 0, result.output
    assert "each taken from the budget the workers share in Redis" in result.output
    assert NO_SHARED_BUDGET not in result.output
    # The workers' bucket (2500 a minute: a burst of 250), taken from: never full after a take.
    tokens = real_redis.hget(ZENDESK_TOKENS, "tokens")
    assert tokens is not None and float(tokens) <= 249


def test_with_redis_set_but_not_answering_the_command_stops_before_any_request(tmp_path):
    env = {**ACCOUNT_ENV, "REDIS_URL": "redis://127.0.0.1:1/0"}
    with responses.RequestsMock() as api:
        result = CliRunner(env=env).invoke(main, ["backtest", *WINDOW, "--out", str(tmp_path), *FAST])
        assert len(api.calls) == 0

    assert result.exit_code == 2
    assert "REDIS_URL is set but Redis does not answer (ConnectionError)" in result.output


def test_the_command_without_zendesk_settings_says_what_to_set(tmp_path):
    result = CliRunner(env={"ZENDESK_SUBDOMAIN": "", "ZENDESK_OAUTH_TOKEN": ""}).invoke(
        main, ["backtest", "--since", "2026-10-01", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "reading the account needs the service's Zendesk settings" in result.output
