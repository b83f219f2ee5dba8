"""workers/ticket_writes.py: our integration user id (cached in a real Redis) and the 409 loop."""

import logging

import pytest

from app import redis_keys
from app.zendesk import Conflict
from workers.ticket_writes import cached_integration_user_id, integration_user_id, write_with_conflict_retry

log = logging.getLogger("escalator.test")


class CountingZendesk:
    def __init__(self, user_id):
        self.user_id = user_id
        self.asked = 0

    def integration_user_id(self):
        self.asked += 1
        return self.user_id


@pytest.mark.redis
def test_our_id_is_asked_once_then_read_from_the_cache(real_redis):
    zendesk = CountingZendesk(900001)
    assert cached_integration_user_id(real_redis) is None
    assert [integration_user_id(real_redis, zendesk) for _ in range(3)] == [900001] * 3
    assert zendesk.asked == 1
    assert cached_integration_user_id(real_redis) == 900001
    assert 0 < real_redis.ttl(redis_keys.INTEGRATION_USER_ID) <= 24 * 3600


@pytest.mark.redis
def test_a_dry_run_that_cannot_tell_caches_nothing(real_redis):
    zendesk = CountingZendesk(None)
    assert integration_user_id(real_redis, zendesk) is None
    assert integration_user_id(real_redis, zendesk) is None
    assert zendesk.asked == 2 and not real_redis.exists(redis_keys.INTEGRATION_USER_ID)


def conflicting(times):
    """A write that meets `times` 409s, then answers with the state it was given."""
    seen = []

    def write(state):
        seen.append(state)
        if len(seen) <= times:
            raise Conflict("PUT /api/v2/tickets/1: 409", 409)
        return f"written on {state}"

    return write, seen


def test_each_409_rereads_and_the_write_plans_on_the_fresh_state(caplog):
    write, seen = conflicting(2)
    reads = iter(["read 1", "read 2"])
    with caplog.at_level(logging.INFO, logger="escalator.test"):
        result = write_with_conflict_retry(
            write, lambda: next(reads), "event", logger=log, conflict_event="test.conflict", ticket_id=7
        )
    assert result == "written on read 2"
    assert seen == ["event", "read 1", "read 2"]
    assert caplog.messages == ["test.conflict ticket=7 reason=re-reading"] * 2


def test_the_last_409_of_the_budget_is_raised(caplog):
    write, seen = conflicting(10)
    with pytest.raises(Conflict):
        write_with_conflict_retry(
            write, lambda: "again", "event", logger=log, conflict_event="test.conflict", ticket_id=7, attempts=3
        )
    assert len(seen) == 4  # the first write and one after each of the 3 re-reads
