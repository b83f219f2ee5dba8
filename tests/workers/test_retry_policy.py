"""workers.retry_policy: quick first retries, then doubling to a cap, with jitter."""

from app.infra.settings import Settings
from workers.retry_policy import RetryPolicy


def test_the_first_retry_is_within_2_s_and_the_first_three_within_10_s():
    policy = RetryPolicy()
    for _ in range(200):
        waits = [policy.backoff_seconds(n) for n in range(3)]
        assert waits[0] <= 2
        assert sum(waits) <= 10


def test_waits_double_up_to_the_cap_and_are_jittered():
    policy = RetryPolicy(backoff_base_seconds=1, backoff_cap_seconds=300)
    for outages in range(40):
        ceiling = min(300, 2**outages)
        waits = {policy.backoff_seconds(outages) for _ in range(20)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(waits) > 1  # jobs that failed together do not retry together
    assert RetryPolicy().backoff_seconds(10_000) <= 300  # no overflow for an outage of days


def test_it_comes_from_the_settings():
    settings = Settings(retry_backoff_base_seconds=2, retry_backoff_cap_seconds=8, retry_give_up_seconds=60)
    assert RetryPolicy.from_settings(settings) == RetryPolicy(2, 8, 60)
