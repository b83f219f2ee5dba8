"""The Redis token bucket shared by all workers."""

import threading
import time

import pytest

from app.redis_keys import ZENDESK_TOKENS
from workers.rate_limit import Throttled, TokenBucket

pytestmark = pytest.mark.redis


def test_a_burst_then_one_token_per_interval(redis_db):
    bucket = TokenBucket(redis_db, requests_per_minute=60, burst=3)  # one token a second
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    wait = bucket.take()
    assert 0.5 < wait <= 1.0
    time.sleep(wait)
    assert bucket.take() == 0


def test_default_burst_keeps_a_minute_under_the_rate_plus_a_tenth(redis_db):
    bucket = TokenBucket(redis_db, requests_per_minute=80)
    granted = sum(1 for _ in range(100) if bucket.take() == 0)
    assert granted == 8


def test_workers_share_one_bucket(redis_db):
    """Many clients at once (as many worker processes would be) get exactly the burst."""
    buckets = [TokenBucket(redis_db, requests_per_minute=60, burst=5) for _ in range(10)]
    granted = []
    threads = [threading.Thread(target=lambda b=b: granted.append(b.take() == 0)) for b in buckets * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == 5
    assert redis_db.ttl(ZENDESK_TOKENS) > 0


def test_acquire_waits_briefly_for_a_token(redis_db):
    bucket = TokenBucket(redis_db, requests_per_minute=240, burst=1)  # a token every 0.25 s
    bucket.acquire()
    started = time.monotonic()
    bucket.acquire()
    assert 0.15 < time.monotonic() - started < 0.6


def test_acquire_raises_throttled_rather_than_sleeping_long(redis_db):
    bucket = TokenBucket(redis_db, requests_per_minute=2, burst=1)  # a token every 30 s
    bucket.acquire()
    started = time.monotonic()
    with pytest.raises(Throttled) as raised:
        bucket.acquire()
    assert time.monotonic() - started < 0.5
    assert 29 < raised.value.wait <= 30
