"""One job per ticket at a time: a Redis lock every worker takes before it reads and writes a ticket
(or its page state), so two jobs of one ticket run one after the other, the second seeing the
first's result."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis

from app import defaults, redis_keys


class TicketBusy(Exception):
    """Another job held this ticket's lock for longer than the lock wait."""


@contextmanager
def ticket_lock(
    connection: redis.Redis, ticket_id: int, wait_seconds: float = defaults.TICKET_LOCK_WAIT_SECONDS
) -> Iterator[None]:
    """Hold the ticket's lock (it expires TICKET_LOCK_TIMEOUT_SECONDS after a job that died);
    TicketBusy when it is not free within `wait_seconds`."""
    lock = connection.lock(
        redis_keys.ticket_lock(ticket_id),
        timeout=defaults.TICKET_LOCK_TIMEOUT_SECONDS,
        blocking_timeout=wait_seconds,
    )
    if not lock.acquire():
        raise TicketBusy(f"ticket {ticket_id} is locked by another job")
    try:
        yield
    finally:
        if lock.owned():
            lock.release()
