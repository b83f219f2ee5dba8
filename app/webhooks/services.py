"""What every request handler (the webhook endpoint, health and job status) needs, built once per app by
`create_app` (app/web/factory.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import redis
from flask import current_app
from rq import Queue

from app.infra.metrics import OutcomeCounter
from app.infra.settings import Settings
from app.webhooks.intake import Intake
from app.webhooks.prescreen import Prescreen


@dataclass(frozen=True)
class Services:
    settings: Settings
    redis: redis.Redis
    queues: dict[str, Queue]  # lane (urgent, soon, rest) -> queue, in priority order
    prescreen: Prescreen
    intake: Intake
    outcomes: OutcomeCounter
    clock: Callable[[], datetime]

    @property
    def queue(self) -> Queue:
        """The last queue (ESCALATOR_QUEUE itself)."""
        return list(self.queues.values())[-1]


def services() -> Services:
    """The running app's services (inside a request)."""
    found: Services = current_app.extensions["escalator"]
    return found
