"""The ticket job's on-call hooks (workers/oncall.py) with the real policy engine, Zendesk and
PagerDuty mocked by `responses`, on a real Redis: the page goes before the update and the note
says so, a page is made once, the agent's reply acknowledges and a solve resolves it with no
Zendesk call, urgent and time-sensitive decisions arm the watchdog."""

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from rq.registry import ScheduledJobRegistry

from app import redis_keys
from app.policy import decide, load_policy
from app.ticket_event import STATUS_CHANGED, TicketEvent
from app.webhooks.events import parse_event
from app.webhooks.trigger_body import trigger_body
from tests.workers.oncall_helpers import ACCEPTED, PD_URL, ROUTING_KEY, make_paging, pd_bodies
from tests.zendesk.factories import BASE_URL, INTEGRATION_USER_ID, api_ticket, event
from workers.oncall import OnCall, with_page_line
from workers.paging import OPEN, PENDING
from workers.sla_watchdog import CHECK_FUNCTION, SlaWatchdog, check_job_id

pytestmark = pytest.mark.redis

TICKET = 35436
TICKET_URL = f"{BASE_URL}/api/v2/tickets/{TICKET}"
KEY = f"escalator/acme.zendesk.com/ticket/{TICKET}"
NIGHT = "2026-11-28T07:30:00Z"  # Sat 02:30 ET
SINCE = datetime(2026, 11, 28, 7, 30, tzinfo=UTC)
DUE = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.fixture
def watchdog(queue):
    return SlaWatchdog(queue, 15, CHECK_FUNCTION, clock=lambda: SINCE)


@pytest.fixture
def on_call(make_applier, known_integration_user, redis_db, queue, watchdog):
    """on_call(pager=True): an applier with the real engine and policy, paging and the watchdog."""

    def make(pager: bool = True, dry_run: bool = False):
        applier = make_applier(policy=load_policy(), dry_run=dry_run)
        applier.decide = decide
        applier.oncall = OnCall(redis_db, make_paging(redis_db, queue, pager=pager), watchdog, dry_run=dry_run)
        return applier

    return make


def fraud_at_night() -> TicketEvent:
    base = event("ticket_created__urgent_outage")
    ticket = {
        **base.ticket,
        "subject": "Urgent - fraud attack",
        "description": "hundreds of fraudulent applications approved since midnight",
        "created_at": NIGHT,
        "updated_at": NIGHT,
    }
    return replace(base, event_id="night-fraud", occurred_at=NIGHT, ticket=ticket)


def night_ticket(**changes) -> dict:
    """The ticket as Zendesk answers for it (a PUT's answer, or a read)."""
    fields = {
        "subject": "Urgent - fraud attack",
        "description": "hundreds of fraudulent applications approved since midnight",
        "created_at": NIGHT,
        "updated_at": "2026-11-28T07:30:05Z",
        **changes,
    }
    return api_ticket(**fields)


def agent_reply() -> TicketEvent:
    return event("ticket_comment_added__agent_reply")


def solved(status: str = "solved") -> TicketEvent:
    base = event("ticket_status_changed__solved")
    return replace(base, ticket_id=TICKET, ticket={**base.ticket, "status": status})


def note_of(body: dict) -> str:
    return body["ticket"]["comment"]["body"]


def test_the_page_goes_before_the_update_and_the_note_says_so(on_call, api, put_bodies, redis_db, watchdog):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, json={"ticket": night_ticket(updated_at="2026-11-28T07:30:05Z")})

    assert on_call().apply(fraud_at_night()) == "updated"

    assert [c.request.method for c in api.calls] == ["POST", "PUT"]  # PagerDuty first
    [trigger] = pd_bodies(api)
    assert (trigger["routing_key"], trigger["dedup_key"], trigger["payload"]["severity"]) == (
        ROUTING_KEY,
        KEY,
        "critical",
    )
    details = trigger["payload"]["custom_details"]
    assert details["urgency_words"] == ["Urgent"]
    assert details["category_words"] == ["fraud", "attack", "fraudulent"]
    assert details["response_due_at"] == "2026-11-28T09:30:00Z"
    assert details["missing_information"] == ["example_applications"]
    assert trigger["payload"]["timestamp"] == NIGHT
    [body] = put_bodies()
    assert f"On-call page required: urgent fraud_attack after hours.\nOn-call paged (PagerDuty incident {KEY}).\n" in (
        note_of(body)
    )
    armed = watchdog.armed(TICKET)
    assert (armed.due, armed.since) == (DUE, SINCE)


def test_a_conflict_replans_but_pages_once(on_call, api, put_bodies):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json={"ticket": night_ticket(updated_at="2026-11-28T07:31:00Z")})
    api.put(TICKET_URL, json={"ticket": night_ticket()})

    assert on_call().apply(fraud_at_night()) == "updated"

    assert len(pd_bodies(api)) == 1
    first, second = put_bodies()
    assert f"On-call paged (PagerDuty incident {KEY})." in note_of(second)
    assert note_of(first) == note_of(second)


def test_a_retried_job_and_a_redelivery_do_not_page_again(on_call, api, put_bodies, redis_db):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, status=500, json={"error": "Scripted"})
    applier = on_call()
    with pytest.raises(Exception, match="500"):
        applier.apply(fraud_at_night())  # the job reschedules; the page went out
    api.replace("PUT", TICKET_URL, json={"ticket": night_ticket()})

    assert applier.apply(fraud_at_night()) == "updated"  # the retry
    assert applier.apply(replace(fraud_at_night(), event_id="redelivered")) == "duplicate"

    assert len(pd_bodies(api)) == 1
    assert "On-call already paged (PagerDuty incident" in note_of(put_bodies()[-1])


def test_without_a_routing_key_the_note_says_paging_is_not_configured(on_call, api, put_bodies):
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    assert on_call(pager=False).apply(fraud_at_night()) == "updated"
    assert pd_bodies(api) == []
    assert (
        "On-call page required: urgent fraud_attack after hours.\n"
        "On-call page required, paging not configured: no page was sent (PAGERDUTY_ROUTING_KEY is not set)."
    ) in note_of(put_bodies()[0])


def test_a_page_pagerduty_does_not_take_still_lets_the_update_out(on_call, api, put_bodies, queue):
    api.post(PD_URL, status=503, json={})
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    applier = on_call()

    assert applier.apply(fraud_at_night()) == "updated"

    assert "On-call page not accepted by PagerDuty yet (PagerDuty answered 503)" in note_of(put_bodies()[0])
    assert applier.oncall.paging.state(TICKET).state == PENDING
    assert any(j.startswith(f"page-trigger-{TICKET}-") for j in ScheduledJobRegistry(queue=queue).get_job_ids())


def test_the_agents_reply_acknowledges_with_no_zendesk_call(on_call, api, redis_db, watchdog):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    applier = on_call()
    applier.apply(fraud_at_night())
    calls = len(api.calls)

    assert applier.apply(agent_reply()) == "ignored:agent_comment"

    assert [json.loads(c.request.body) for c in api.calls[calls:]] == [
        {"routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": KEY}
    ]
    assert watchdog.armed(TICKET) is None
    assert ScheduledJobRegistry(queue=watchdog.queue).get_job_ids() == []
    assert applier.apply(replace(agent_reply(), event_id="second-reply")) == "ignored:agent_comment"
    assert len(api.calls) == calls + 1  # the second reply sends nothing


def test_solving_the_ticket_resolves_the_page(on_call, api):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    applier = on_call()
    applier.apply(fraud_at_night())

    assert applier.apply(solved("open")) == "ignored:status_changed"
    assert applier.apply(solved()) == "ignored:status_changed"
    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "resolve"]
    assert applier.oncall.paging.state(TICKET).state == "resolved"


def test_in_trigger_mode_the_status_trigger_resolves_the_page(on_call, api, watchdog):
    """The body the status-change trigger sends (app/admin/desired.py), as Zendesk renders it,
    through the webhook parser to the worker: the page is resolved, the watchdog disarmed."""
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    applier = on_call()
    applier.apply(fraud_at_night())
    assert watchdog.armed(TICKET) is not None
    rendered = {
        **trigger_body(STATUS_CHANGED),
        "ticket_id": str(TICKET),
        "created_at": NIGHT,
        "updated_at": "2026-11-28T09:05:00Z",
        "current_user_id": "8447388090494",
        "status": "Solved",
    }

    assert applier.apply(parse_event(json.loads(json.dumps(rendered)))) == "ignored:status_changed"

    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "resolve"]
    assert applier.oncall.paging.state(TICKET).state == "resolved"
    assert watchdog.armed(TICKET) is None
    assert len([c for c in api.calls if c.request.url.startswith(BASE_URL)]) == 1  # the first PUT only


def test_tickets_with_nothing_on_call_cost_one_redis_read_and_no_call(on_call, api):
    applier = on_call()
    assert applier.apply(agent_reply()) == "ignored:agent_comment"
    assert applier.apply(solved()) == "ignored:status_changed"
    assert len(api.calls) == 0


def test_business_hours_urgent_is_not_paged_but_watched(on_call, api, watchdog, queue):
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    assert on_call().apply(event("ticket_created__urgent_outage")) == "updated"
    assert pd_bodies(api) == []
    due = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert watchdog.armed(TICKET).due == due
    assert check_job_id(TICKET, due) in queue.job_ids  # due before the (fake) clock's now: at once


def test_out_of_scope_after_hours_is_not_paged(on_call, api, put_bodies):
    base = fraud_at_night()
    locked_out = replace(
        base, ticket={**base.ticket, "subject": "Urgent: locked out", "description": "password reset never arrives"}
    )
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    assert on_call().apply(locked_out) == "updated"
    assert pd_bodies(api) == []
    assert "On-call" not in note_of(put_bodies()[0])


def test_a_dry_run_does_not_arm_the_watchdog(on_call, watchdog):
    assert on_call(dry_run=True).apply(event("ticket_created__urgent_outage")) == "updated"
    assert watchdog.armed(TICKET) is None


def test_the_page_line_goes_under_the_policys_line_or_at_the_end():
    body = {"ticket": {"priority": "urgent", "comment": {"body": "a\nOn-call page required: x.\nb", "public": False}}}
    assert with_page_line(body, "P")["ticket"]["comment"]["body"] == "a\nOn-call page required: x.\nP\nb"
    assert body["ticket"]["comment"]["body"] == "a\nOn-call page required: x.\nb"  # not changed in place
    plain = {"ticket": {"comment": {"body": "a\nb", "public": False}}}
    assert with_page_line(plain, "P")["ticket"]["comment"]["body"] == "a\nb\nP"


def test_the_paged_state_is_open(on_call, api):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    applier = on_call()
    applier.apply(fraud_at_night())
    assert applier.oncall.paging.state(TICKET).state == OPEN


def test_our_own_public_reply_acknowledges_nothing_even_before_our_id_is_cached(on_call, api, redis_db, watchdog):
    """Our after-hours reply is a public comment by a staff user, as an agent's is; it must leave
    the page open and the watchdog armed, so who wrote it is asked (GET /users/me) when not cached."""
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    applier = on_call()
    applier.apply(fraud_at_night())
    redis_db.delete(redis_keys.INTEGRATION_USER_ID)  # the cache expired meanwhile
    api.get(f"{BASE_URL}/api/v2/users/me", json={"user": {"id": INTEGRATION_USER_ID, "role": "admin"}})
    base = agent_reply()
    own_reply = replace(base, actor_id=INTEGRATION_USER_ID, comment={**base.comment, "author_id": INTEGRATION_USER_ID})

    assert applier.apply(own_reply) == "ignored:own_update"

    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger"]
    assert watchdog.armed(TICKET) is not None


def test_an_agents_comment_read_for_a_trigger_webhook_acknowledges_too(on_call, api):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    applier = on_call()
    applier.apply(fraud_at_night())
    api.get(
        f"{TICKET_URL}/comments",
        json={
            "comments": [
                {"id": 41000000001, "author_id": 235323, "body": "On it.", "public": True, "created_at": NIGHT}
            ],
            "users": [{"id": 235323, "name": "Agent Smith", "role": "agent"}],
        },
    )

    # The comment is read under the ticket's lock, which the acknowledge must not wait for.
    assert applier.apply(event("trigger_comment__end_user")) == "ignored:agent_comment"
    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "acknowledge"]


def test_an_agents_messaging_reply_acknowledges(on_call, api):
    api.post(PD_URL, status=202, json=ACCEPTED)
    api.put(TICKET_URL, json={"ticket": night_ticket()})
    applier = on_call()
    applier.apply(fraud_at_night())
    message = event("messaging_ticket_message_added__end_user_urgent")
    reply = replace(message, message={**message.message, "author_type": "agent", "body": "We are on it."})

    assert applier.apply(reply) == "ignored:agent_message"
    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger", "acknowledge"]


def test_a_ticket_tagged_before_paging_was_configured_is_still_paged(on_call, api):
    base = fraud_at_night()
    tags = ["enterprise", "urgency_urgent", "category_fraud_attack", "after_hours", "on_call_paged"]
    tags += ["info_missing", "missing_example_applications"]
    tagged = replace(base, ticket={**base.ticket, "priority": "urgent", "tags": tags})
    api.post(PD_URL, status=202, json=ACCEPTED)

    assert on_call().apply(tagged) == "noop"
    assert [b["event_action"] for b in pd_bodies(api)] == ["trigger"]
    assert [c.request.method for c in api.calls] == ["POST"]  # no update, so no note
