"""A token bucket in Redis, shared by every worker process, in front of every Zendesk request.

The bucket refills at `requests_per_minute / 60` tokens a second and holds at most `burst`
tokens, so over any minute at most `requests_per_minute + burst` requests go out. The default
burst is a tenth of the rate: at the default 80/min that is at most 88 in any minute, under
Zendesk's 100/min Update Ticket limit. The clock is Redis's own (`TIME`), so workers on
different machines agree.
"""

from __future__ import annotations

import time

import redis

from app import defaults, redis_keys

TAKE_TOKEN = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return tostring(wait)
"""


class Throttled(Exception):
    """No token for a while: reschedule the job `wait` seconds from now instead of sleeping."""

    def __init__(self, wait: float):
        super().__init__(f"Zendesk request budget spent; next token in {wait:.1f} s")
        self.wait = wait


class TokenBucket:
    def __init__(
        self,
        connection: redis.Redis,
        requests_per_minute: int,
        burst: int | None = None,
        key: str = redis_keys.ZENDESK_TOKENS,
    ):
        self.rate = requests_per_minute / 60.0
        self.burst = burst or max(1, requests_per_minute // 10)
        self.key = key
        self._take = connection.register_script(TAKE_TOKEN)

    def take(self) -> float:
        """Take a token: 0.0 when granted, else the seconds until one will be there."""
        return float(self._take(keys=[self.key], args=[self.rate, self.burst]))

    def acquire(self) -> None:
        """Take a token, sleeping up to defaults.TOKEN_WAIT_MAX_SECONDS at a time; raise Throttled beyond that."""
        for _ in range(defaults.TOKEN_WAIT_MAX_SLEEPS):
            wait = self.take()
            if wait == 0:
                return
            if wait > defaults.TOKEN_WAIT_MAX_SECONDS:
                raise Throttled(wait)
            time.sleep(wait)
        raise Throttled(1.0 / self.rate)
