"""What every request handler needs, built once per app by `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import redis
from flask import current_app
from rq import Queue

from app.infra.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    redis: redis.Redis
    queue: Queue
    clock: Callable[[], datetime]


def services() -> Services:
    """The running app's services (inside a request)."""
    found: Services = current_app.extensions["escalator"]
    return found
