"""The backtest's reads from Zendesk, kept within two limits, with waits instead of failures.

- Zendesk's own limit on the incremental export endpoints: 10 requests a minute by default
  (`--export-per-minute`, for accounts with the High Volume add-on).
- The service's shared budget, ZENDESK_REQUESTS_PER_MINUTE, which the live workers spend through
  the Redis token bucket in `workers/rate_limit.py`. With the service's Redis (REDIS_URL), every
  request of the backtest also takes a token from that bucket, so workers and backtest together
  stay within it; and the backtest paces itself to `--max-share` of it, so the workers keep the
  rest. Without Redis, only the local pace holds (it cannot see the workers' requests).

Each local limit spaces requests evenly (one every 60/N seconds). A 429 waits Zendesk's
Retry-After and tries again; an outage (5xx, timeout) backs off a few times, then stops the
command, whose state on disk lets the same command continue later. Sleeping is right here: a
command line, not a worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from app import defaults
from app.infra.logs import log_event
from app.zendesk.errors import RateLimited, ZendeskUnavailable

log = logging.getLogger("escalator.backtest")


class Reader(Protocol):
    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None) -> dict[str, Any]: ...


class SharedBudget(Protocol):
    """The service's token bucket (`workers.rate_limit.TokenBucket`)."""

    def take(self) -> float:
        """0.0 when a token was taken, else the seconds until one will be there."""
        ...


class GaveUp(Exception):
    """Zendesk kept failing or rate limiting; the run stopped and can be continued."""


class EvenPace:
    """At most `per_minute` calls a minute, one every 60/per_minute seconds."""

    def __init__(
        self,
        per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if per_minute <= 0:
            raise ValueError(f"per_minute must be positive, got {per_minute}")
        self.interval = 60.0 / per_minute
        self.clock = clock
        self.sleep = sleep
        self.next_at: float | None = None

    def ready_at(self, now: float) -> float:
        return now if self.next_at is None else max(now, self.next_at)

    def mark(self, sent_at: float) -> None:
        self.next_at = sent_at + self.interval

    def wait(self) -> None:
        wait_for(self.clock, self.sleep, self)


def wait_for(clock: Callable[[], float], sleep: Callable[[float], None], *paces: EvenPace) -> None:
    """Wait until every pace allows a call, then count the call against each at that moment
    (pacing each on its own would let a wait for one eat into the other's interval)."""
    now = clock()
    ready = max(pace.ready_at(now) for pace in paces)
    if ready > now:
        sleep(ready - now)
    for pace in paces:
        pace.mark(ready)


def shared_share_per_minute(requests_per_minute: int, max_share: float) -> int:
    """The backtest's part of the service's budget: at least one request a minute."""
    return max(1, int(requests_per_minute * max_share))


class PacedReader:
    """GETs through a `Reader` (the Zendesk client), paced and retried as the module says.

    `shared_budget` is the service's token bucket, or None without Redis."""

    def __init__(
        self,
        reader: Reader,
        *,
        export_per_minute: float,
        shared_per_minute: float,
        shared_budget: SharedBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.reader = reader
        self.export_pace = EvenPace(export_per_minute, clock, sleep)
        self.shared_pace = EvenPace(shared_per_minute, clock, sleep)
        self.shared_budget = shared_budget
        self.clock = clock
        self.sleep = sleep
        self.requests = 0  # sent, 429s and failures included

    def get(self, path: str, params: dict[str, Any] | None = None, *, export: bool = False) -> dict[str, Any]:
        rate_limited = outages = 0
        while True:
            paces = (self.export_pace, self.shared_pace) if export else (self.shared_pace,)
            wait_for(self.clock, self.sleep, *paces)
            if self._take_shared_token():
                for pace in paces:  # the paces count from when the request is sent
                    pace.mark(self.clock())
            self.requests += 1
            try:
                return self.reader.request("GET", path, params=params)
            except RateLimited as error:
                rate_limited += 1
                if rate_limited > defaults.BACKTEST_MAX_RATE_LIMIT_WAITS:
                    raise GaveUp(f"{error} ({rate_limited} times in a row)") from None
                log_event(log, "backtest.rate_limited", path=path, wait_seconds=round(error.retry_after))
                self.sleep(error.retry_after)
            except ZendeskUnavailable as error:
                outages += 1
                if outages >= defaults.BACKTEST_MAX_OUTAGE_TRIES:
                    raise GaveUp(f"{error} ({outages} tries)") from None
                wait = min(defaults.BACKTEST_BACKOFF_CAP_SECONDS, defaults.BACKTEST_BACKOFF_BASE_SECONDS**outages)
                log_event(log, "backtest.zendesk_unavailable", path=path, wait_seconds=round(wait))
                self.sleep(wait)

    def _take_shared_token(self) -> bool:
        """Take a token of the service's bucket, waiting while the workers (or other backtests)
        have spent it; True when it had to wait."""
        if self.shared_budget is None:
            return False
        waited = False
        while (wait := self.shared_budget.take()) > 0:
            log_event(log, "backtest.shared_budget_spent", level=logging.DEBUG, wait_seconds=round(wait, 1))
            self.sleep(wait)
            waited = True
        return waited
