"""workers.ticket_budget: Zendesk's per-ticket update limit, shared by every worker (real Redis)."""

import threading
import time

import pytest

from app import defaults, redis_keys
from tests.workers.test_jobs import scheduled
from tests.zendesk.factories import BASE_URL, api_ticket, event
from workers import jobs
from workers.ticket_budget import TicketWriteBudget, TicketWritesExhausted

pytestmark = pytest.mark.redis

TICKET_URL = f"{BASE_URL}/api/v2/tickets/35436"


def test_the_default_stays_under_zendesks_30_updates_per_ticket_per_10_minutes():
    assert defaults.TICKET_WRITES_PER_WINDOW < defaults.ZENDESK_TICKET_UPDATES_PER_WINDOW == 30
    assert defaults.TICKET_WRITES_WINDOW_SECONDS == 600


def test_a_ticket_gets_its_limit_then_waits_for_the_oldest_write_to_leave_the_window(redis_db):
    budget = TicketWriteBudget(redis_db, limit=3, window_seconds=1.0)
    for _ in range(3):
        budget.take(7)
    with pytest.raises(TicketWritesExhausted) as spent:
        budget.take(7)
    assert 0 < spent.value.wait <= 1.0
    budget.take(8)  # another ticket has its own budget
    time.sleep(spent.value.wait + 0.05)
    budget.take(7)
    assert 0 < redis_db.ttl(redis_keys.ticket_writes(7)) <= 2


def test_workers_share_one_budget_per_ticket(redis_db):
    """Many workers at once never get more than the limit between them (one Lua script)."""
    budget = TicketWriteBudget(redis_db, limit=5, window_seconds=60)
    granted = []

    def write():
        try:
            budget.take(7)
            granted.append(1)
        except TicketWritesExhausted:
            pass

    threads = [threading.Thread(target=write) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 5


def test_every_write_to_a_ticket_takes_a_slot_a_conflict_included(applier, api, redis_db):
    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json={"ticket": api_ticket(updated_at="2026-11-30T16:00:09Z")})
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})
    assert applier.apply(event("ticket_comment_added__end_user_urgent")) == "updated"
    assert redis_db.zcard(redis_keys.ticket_writes(35436)) == 2  # the two PUTs, not the read


def test_a_job_over_the_tickets_budget_is_delayed_to_the_window_end_not_dropped(
    make_applier, known_integration_user, api, queue, redis_db
):
    applier = make_applier()
    applier.write_budget = TicketWriteBudget(redis_db, limit=1, window_seconds=300)
    applier.write_budget.take(35436)  # another job wrote to the ticket a moment ago
    created = event("ticket_created__urgent_outage")

    assert jobs.run(applier, queue, created.to_job()) == "rescheduled:ticket_budget"

    assert len(api.calls) == 0
    [(job, delay)] = scheduled(queue)
    assert 298 <= delay <= 301 + defaults.RESCHEDULE_JITTER_SECONDS
    assert job.args == [created.to_job()] and job.kwargs["outage_attempt"] == 0
    assert not redis_db.exists(redis_keys.done("ticket:35436:created"))


def test_a_dry_run_counts_nothing(make_applier, redis_db):
    assert make_applier(dry_run=True).apply(event("ticket_created__urgent_outage")) == "updated"
    assert not redis_db.exists(redis_keys.ticket_writes(35436))
