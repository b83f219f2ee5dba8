"""What every job that writes to a ticket shares: who "we" are, and how a 409 is retried.

- `integration_user_id`: our own Zendesk user id (GET /api/v2/users/me), cached in Redis for a
  day (`defaults.INTEGRATION_USER_TTL_SECONDS`), so events and comments we caused are known as
  ours without a call per job. `cached_integration_user_id` is the cache alone, for callers that
  must not spend an API call on the answer.
- `write_with_conflict_retry`: a safe update (`safe_update` with the ticket's `updated_stamp`)
  that Zendesk refuses with 409 because the ticket changed under us is planned again on the
  ticket as it now is, up to `defaults.MAX_CONFLICT_RETRIES` times; the last 409 reaches the job,
  which reschedules. The write callable takes the slots of the ticket's write budget it uses
  (`workers/ticket_budget.py`), as only it knows whether it writes at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import redis

from app import defaults, redis_keys
from app.infra.logs import log_event
from app.zendesk import Conflict, ZendeskApi

State = TypeVar("State")
Result = TypeVar("Result")


def cached_integration_user_id(connection: redis.Redis) -> int | None:
    """Our own user id if a job learnt it within the cache's TTL, else None (no API call)."""
    cached: bytes | None = connection.get(redis_keys.INTEGRATION_USER_ID)  # type: ignore[assignment]
    return int(cached) if cached is not None else None


def integration_user_id(connection: redis.Redis, zendesk: ZendeskApi) -> int | None:
    """Our own user id: from the cache, else GET /api/v2/users/me (then cached); None when the
    client cannot tell (a dry run)."""
    ours = cached_integration_user_id(connection)
    if ours is not None:
        return ours
    ours = zendesk.integration_user_id()
    if ours is not None:
        connection.set(redis_keys.INTEGRATION_USER_ID, ours, ex=defaults.INTEGRATION_USER_TTL_SECONDS)
    return ours


def write_with_conflict_retry(
    write: Callable[[State], Result],
    reread: Callable[[], State],
    current: State,
    *,
    logger: logging.Logger,
    conflict_event: str,
    ticket_id: int,
    attempts: int = defaults.MAX_CONFLICT_RETRIES,
) -> Result:
    """`write(current)`; after a 409, `current = reread()` and write again, `attempts` times,
    then once more, whose 409 is raised. `write` plans on the state it is given, so a retry
    merges what changed meanwhile (and may find nothing left to write); `conflict_event` is the
    line logged at each 409 (with `ticket=`)."""
    for _ in range(attempts):
        try:
            return write(current)
        except Conflict:
            log_event(logger, conflict_event, ticket=ticket_id, reason="re-reading")
            current = reread()
    return write(current)
