"""Zendesk's per-ticket update limit, kept in Redis for every worker: a sliding window per ticket.

Zendesk allows 30 updates of one ticket per user per 10 minutes (Update Ticket's "Limits"; its
answer carries `Zendesk-RateLimit-tickets-update`). A busy ticket (a customer sending message
after message, or a retry storm) must not reach it: each write to a ticket first takes a slot
here, and a job that finds no slot is rescheduled for when the oldest slot frees, never dropped.
Every attempt takes a slot, a 409 or a lost answer included: Zendesk may count those too.

A sorted set per ticket holds the times of its writes in the window (Redis's clock, so workers
on different machines agree); one Lua script drops the old ones, counts, and takes a slot, so
two workers can never both take the last one.
"""

from __future__ import annotations

import uuid

import redis

from app import defaults, redis_keys
from app.zendesk import ZendeskApi

TAKE_SLOT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
return '0'
"""


class TicketWritesExhausted(Exception):
    """This ticket had its budget of writes in the window: try again in `wait` seconds."""

    def __init__(self, ticket_id: int, wait: float):
        super().__init__(f"ticket {ticket_id} had its {defaults.TICKET_WRITES_PER_WINDOW} writes; next in {wait:.0f} s")
        self.ticket_id = ticket_id
        self.wait = wait


class TicketWriteBudget:
    def __init__(
        self,
        connection: redis.Redis,
        limit: int = defaults.TICKET_WRITES_PER_WINDOW,
        window_seconds: float = defaults.TICKET_WRITES_WINDOW_SECONDS,
    ):
        self.limit = limit
        self.window_seconds = window_seconds
        self._take = connection.register_script(TAKE_SLOT)

    def take(self, ticket_id: int) -> None:
        """Take a slot for one write to the ticket; raise TicketWritesExhausted when none is free."""
        wait = float(
            self._take(
                keys=[redis_keys.ticket_writes(ticket_id)],
                args=[self.limit, self.window_seconds, uuid.uuid4().hex],
            )
        )
        if wait > 0:
            raise TicketWritesExhausted(ticket_id, wait)

    def take_for(self, zendesk: ZendeskApi, ticket_id: int) -> None:
        """Take a slot for a write `zendesk` is about to send; a dry run sends none and takes none."""
        if not zendesk.dry_run:
            self.take(ticket_id)
