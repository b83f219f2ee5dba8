"""How long a job that cannot be done now waits before its next try, and when it stops trying.

One policy for every vendor a job calls (Zendesk now, PagerDuty too): an outage of hours is waited
out with capped exponential backoff and jitter, and a job gives up, visibly, only when it has been
retrying for `give_up_seconds` (a day by default; ESCALATOR_RETRY_* in the README).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app import defaults
from app.infra.settings import Settings


@dataclass(frozen=True)
class RetryPolicy:
    backoff_base_seconds: float = defaults.RETRY_BACKOFF_BASE_SECONDS
    backoff_cap_seconds: float = defaults.RETRY_BACKOFF_CAP_SECONDS
    give_up_seconds: float = defaults.RETRY_GIVE_UP_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            backoff_base_seconds=settings.retry_backoff_base_seconds,
            backoff_cap_seconds=settings.retry_backoff_cap_seconds,
            give_up_seconds=settings.retry_give_up_seconds,
        )

    def backoff_seconds(self, outages: int) -> float:
        """The wait after the `outages`+1-th outage in a row: base * 2**outages, at most the cap,
        jittered to 50-100 % so jobs that failed together do not retry together."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** min(outages, 32))
        return ceiling * random.uniform(0.5, 1.0)
