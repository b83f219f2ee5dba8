"""app.backtest.limits: evenly paced requests, the service's shared budget, Retry-After honoured,
outages end the run."""

import time

import pytest

from app.backtest.limits import EvenPace, GaveUp, PacedReader, shared_share_per_minute
from app.zendesk.errors import RateLimited, ZendeskUnavailable
from workers.rate_limit import TokenBucket


class Clock:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class Answers:
    """A reader that answers (or raises) from a list, noting the time of each request."""

    def __init__(self, clock, *answers):
        self.clock, self.answers, self.at = clock, list(answers), []

    def request(self, method, path, *, params=None):
        self.at.append(self.clock.now)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_the_share_of_the_services_budget_is_at_least_one_a_minute():
    assert shared_share_per_minute(80, 0.25) == 20
    assert shared_share_per_minute(2, 0.25) == 1


def test_an_even_pace_spaces_calls_by_sixty_over_the_rate():
    clock = Clock()
    pace = EvenPace(10, clock, clock.sleep)
    for _ in range(3):
        pace.wait()
    assert clock.sleeps == [6.0, 6.0]


def test_export_requests_keep_both_paces_measured_from_when_they_were_sent():
    clock = Clock()
    reader = PacedReader(
        Answers(clock, *[{}] * 4), export_per_minute=10, shared_per_minute=20, clock=clock, sleep=clock.sleep
    )

    reader.get("/other")
    reader.get("/export", export=True)
    reader.get("/export", export=True)
    reader.get("/other")

    assert reader.reader.at == [0.0, 3.0, 9.0, 12.0]


def test_a_429_waits_retry_after_and_tries_again():
    clock = Clock()
    answers = Answers(clock, RateLimited("GET /x: 429", retry_after=42.0), {"ok": True})
    reader = PacedReader(answers, export_per_minute=10, shared_per_minute=20, clock=clock, sleep=clock.sleep)

    assert reader.get("/x", export=True) == {"ok": True}
    assert clock.sleeps[0] == 42.0
    assert reader.requests == 2


def test_an_outage_backs_off_then_gives_up_so_the_run_can_continue_later():
    clock = Clock()
    down = [ZendeskUnavailable("GET /x: 503", 503)] * 5
    reader = PacedReader(
        Answers(clock, *down), export_per_minute=10, shared_per_minute=60, clock=clock, sleep=clock.sleep
    )

    with pytest.raises(GaveUp, match="GET /x: 503 \\(5 tries\\)"):
        reader.get("/x")
    assert [s for s in clock.sleeps if s > 1] == [2.0, 4.0, 8.0, 16.0]


def test_rate_limits_without_end_give_up_too():
    clock = Clock()
    limited = [RateLimited("GET /x: 429", retry_after=1.0)] * 11
    reader = PacedReader(
        Answers(clock, *limited), export_per_minute=10, shared_per_minute=60, clock=clock, sleep=clock.sleep
    )

    with pytest.raises(GaveUp, match="11 times in a row"):
        reader.get("/x")


@pytest.mark.redis
def test_every_request_takes_a_token_from_the_budget_the_workers_share(real_redis):
    """30 a minute: a burst of 3 tokens, then one every 2 s. The backtest's two requests leave the
    workers one token, as they would have left the backtest one."""
    clock = Clock()
    reader = PacedReader(
        Answers(clock, {}, {}),
        export_per_minute=10,
        shared_per_minute=20,
        shared_budget=TokenBucket(real_redis, 30),
        clock=clock,
        sleep=clock.sleep,
    )

    reader.get("/x")
    reader.get("/x")

    worker = TokenBucket(real_redis, 30)
    assert worker.take() == 0
    assert worker.take() > 0


@pytest.mark.redis
def test_the_backtest_waits_while_the_workers_have_spent_the_budget(real_redis):
    worker = TokenBucket(real_redis, 600)  # ten tokens a second, a burst of 60
    while worker.take() == 0:
        pass
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    clock = Clock()  # the local paces never wait here: only the shared budget can
    answers = Answers(clock, {"ok": True})
    reader = PacedReader(
        answers,
        export_per_minute=10,
        shared_per_minute=20,
        shared_budget=TokenBucket(real_redis, 600),
        clock=clock,
        sleep=sleep,
    )

    assert reader.get("/x") == {"ok": True}
    assert slept and all(0 < s <= 0.1 for s in slept)
