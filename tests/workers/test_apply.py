"""TicketEventApplier against a mocked Zendesk API and a real Redis: one test per branch."""

import json
import logging
from dataclasses import replace

import pytest
from responses import matchers

from app import redis_keys
from app.zendesk import AuthFailed, Conflict, RateLimited, ZendeskUnavailable
from tests.zendesk.factories import (
    AFTER_HOURS_FIELD,
    BASE_URL,
    CATEGORY_FIELD,
    DUE_FIELD,
    INTEGRATION_USER_ID,
    URGENCY_FIELD,
    FakePolicy,
    api_ticket,
    event,
)
from workers.apply import TicketBusy

pytestmark = pytest.mark.redis

TICKET_URL = f"{BASE_URL}/api/v2/tickets/35436"
COMMENTS_URL = f"{TICKET_URL}/comments"


def comments_page(*comments, users=()):
    return {"comments": list(comments), "users": list(users), "next_page": None, "count": len(comments)}


def end_user_comment(comment_id=41000000001, body="Please help, this is urgent now.", public=True, author=20978392):
    return {
        "id": comment_id,
        "type": "Comment",
        "author_id": author,
        "body": body,
        "html_body": "",
        "public": public,
        "created_at": "2026-11-30T16:00:00Z",
    }


END_USER = {"id": 20978392, "name": "Dana Customer", "role": "end-user"}
AGENT = {"id": 235323, "name": "Agent Smith", "role": "agent"}


def test_created_urgent_makes_one_put_with_the_whole_decision(applier, api, put_bodies, redis_db):
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})

    assert applier.apply(event("ticket_created__urgent_outage")) == "updated"

    assert put_bodies() == [
        {
            "ticket": {
                "priority": "urgent",
                "tags": ["enterprise", "urgency_urgent", "category_incident"],
                "comment": {"body": "Escalated to urgent (incident).", "public": False},
                "safe_update": True,
                "updated_stamp": "2026-11-27T15:00:00Z",
            }
        }
    ]
    assert redis_db.ttl(redis_keys.done("ticket:35436:created")) > 0


def test_with_custom_fields_the_ticket_is_read_first_and_fields_go_in_the_same_put(
    make_applier, known_integration_user, api, put_bodies
):
    """Webhook snapshots carry no custom fields; one read tells which ones to write."""
    applier = make_applier(policy=FakePolicy())
    api.get(TICKET_URL, json={"ticket": api_ticket(updated_at="2026-11-27T15:00:02Z")})
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(event("ticket_created__urgent_outage")) == "updated"

    assert [c.request.method for c in api.calls] == ["GET", "PUT"]
    assert put_bodies() == [
        {
            "ticket": {
                "priority": "urgent",
                "tags": ["enterprise", "urgency_urgent", "category_incident"],
                "custom_fields": [
                    {"id": URGENCY_FIELD, "value": "urgent"},
                    {"id": CATEGORY_FIELD, "value": "incident"},
                    {"id": DUE_FIELD, "value": "2026-11-27T17:00:00Z"},
                ],
                "comment": {"body": "Escalated to urgent (incident).", "public": False},
                "safe_update": True,
                "updated_stamp": "2026-11-27T15:00:02Z",
            }
        }
    ]


def test_custom_fields_are_never_lowered(make_applier, known_integration_user, api, put_bodies):
    applier = make_applier(policy=FakePolicy())
    api.get(
        TICKET_URL,
        json={
            "ticket": api_ticket(
                priority="urgent",
                tags=["enterprise", "category_incident", "urgency_urgent"],
                custom_fields=[
                    {"id": URGENCY_FIELD, "value": "urgent"},
                    {"id": CATEGORY_FIELD, "value": "incident"},
                    {"id": DUE_FIELD, "value": "2026-11-27T17:00:00Z"},
                    {"id": AFTER_HOURS_FIELD, "value": False},
                ],
            )
        },
    )
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(event("ticket_comment_added__time_sensitive_on_urgent_ticket")) == "updated"

    [body] = put_bodies()
    assert body["ticket"]["tags"] == ["enterprise", "category_incident", "urgency_urgent", "urgency_time_sensitive"]
    assert "priority" not in body["ticket"] and "custom_fields" not in body["ticket"]


def test_created_reads_subject_and_description_at_creation_time(applier, api, decide):
    api.put(TICKET_URL, json={"ticket": {}})
    applier.apply(event("ticket_created__urgent_outage"))
    text = decide.calls[0]
    assert (text.event, text.subject, text.body) == (
        "created",
        "URGENT: API returning 503",
        "Since 9:40 all calls fail.",
    )
    assert text.received_at.isoformat() == "2026-11-27T15:00:00+00:00"
    assert (text.current_priority, text.known_category) == ("normal", None)


def test_created_without_urgency_is_a_noop_without_any_call(applier, api):
    assert applier.apply(event("ticket_created__documented_example")) == "noop"
    assert len(api.calls) == 0


def test_trigger_created_reads_the_ticket_then_puts_with_its_stamp(applier, api, put_bodies):
    api.get(TICKET_URL, json={"ticket": api_ticket()})
    api.put(TICKET_URL, json={"ticket": {}})
    assert applier.apply(event("trigger_created__new_ticket")) == "updated"
    assert [c.request.method for c in api.calls] == ["GET", "PUT"]
    body = put_bodies()[0]["ticket"]
    assert body["updated_stamp"] == "2026-11-30T16:00:01Z"
    assert body["priority"] == "urgent"


def test_end_user_comment_decides_from_the_comment_only(applier, api, decide, put_bodies):
    api.put(TICKET_URL, json={"ticket": {}})
    assert applier.apply(event("ticket_comment_added__end_user_urgent")) == "updated"
    text = decide.calls[0]
    assert text.event == "comment"
    assert text.body == "Any news? This is urgent for us now, the dashboard is down too."
    assert (text.current_priority, text.known_category) == ("normal", "incident")
    assert text.received_at.isoformat() == "2026-11-30T16:00:00.504117+00:00"
    assert put_bodies()[0]["ticket"]["tags"] == ["enterprise", "category_incident", "urgency_urgent"]


def test_two_category_tags_the_tie_order_wins_and_the_stale_one_is_removed(applier, api, decide, put_bodies):
    base = event("ticket_comment_added__end_user_urgent")
    both = replace(base, ticket={**base.ticket, "tags": ["category_other", "category_incident"]})
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(both) == "updated"

    assert decide.calls[0].known_category == "incident"
    assert put_bodies()[0]["ticket"]["tags"] == ["category_incident", "urgency_urgent"]


def test_a_category_tag_the_policy_does_not_name_is_neither_read_nor_removed(applier, api, decide, put_bodies):
    base = event("ticket_comment_added__end_user_urgent")
    billing = replace(base, ticket={**base.ticket, "tags": ["category_billing"]})
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(billing) == "updated"

    assert decide.calls[0].known_category is None
    assert put_bodies()[0]["ticket"]["tags"] == ["category_billing", "urgency_urgent", "category_incident"]


@pytest.mark.parametrize(
    "fixture_name, status",
    [
        ("ticket_comment_added__agent_reply", "ignored:agent_comment"),
        ("ticket_comment_added__private_note_captured", "ignored:private_comment"),
        ("ticket_comment_added__own_internal_note", "ignored:own_update"),
        ("trigger_comment__own_update", "ignored:own_update"),
        ("ticket_status_changed__solved", "ignored:status_changed"),
    ],
)
def test_events_the_policy_does_not_read_make_no_call(applier, api, decide, fixture_name, status):
    assert applier.apply(event(fixture_name)) == status
    assert len(api.calls) == 0
    assert decide.calls == []


USERS_ME_URL = f"{BASE_URL}/api/v2/users/me"


def test_integration_user_is_learnt_once_and_cached(make_applier, redis_db, api):
    applier = make_applier()
    api.get(USERS_ME_URL, json={"user": {"id": INTEGRATION_USER_ID, "role": "admin"}})

    # A trigger names only the actor: whether it is us decides before the comment is read.
    assert applier.apply(event("trigger_comment__own_update")) == "ignored:own_update"
    assert applier.apply(event("ticket_comment_added__own_internal_note")) == "ignored:own_update"

    assert [c.request.url for c in api.calls] == [USERS_ME_URL]
    assert 0 < redis_db.ttl(redis_keys.INTEGRATION_USER_ID) <= 24 * 3600


@pytest.mark.parametrize(
    "make_event, status",
    [
        (lambda: description_echo(), "ignored:first_comment"),
        (lambda: event("ticket_comment_added__private_note_captured"), "ignored:private_comment"),
        # Our own note, before our id is cached: ignored as the internal note it is.
        (lambda: event("ticket_comment_added__own_internal_note"), "ignored:private_comment"),
        (lambda: message_by("trigger"), "ignored:trigger_message"),
        (lambda: message_by("system"), "ignored:system_message"),
    ],
)
def test_events_their_own_data_skips_never_ask_zendesk_who_we_are(make_applier, redis_db, api, make_event, status):
    applier = make_applier()  # no integration user id cached
    assert applier.apply(make_event()) == status
    assert len(api.calls) == 0 and not redis_db.exists(redis_keys.INTEGRATION_USER_ID)


@pytest.mark.parametrize(
    "author, status",
    [(235323, "ignored:agent_comment"), (INTEGRATION_USER_ID, "ignored:own_update")],
)
def test_a_public_staff_comment_asks_who_we_are_as_our_own_reply_is_no_agent_reply(make_applier, api, author, status):
    """An agent's public reply acknowledges the ticket's page; our own public reply must not."""
    base = event("ticket_comment_added__agent_reply")
    reply = replace(base, actor_id=author, comment={**base.comment, "author_id": author})
    api.get(USERS_ME_URL, json={"user": {"id": INTEGRATION_USER_ID, "role": "admin"}})

    assert make_applier().apply(reply) == status
    assert [c.request.url for c in api.calls] == [USERS_ME_URL]


def message_by(author_type: str):
    base = event("messaging_ticket_message_added__end_user_urgent")
    return replace(base, message={**base.message, "author_type": author_type})


def test_redelivered_event_is_a_duplicate_and_puts_nothing(applier, api, put_bodies):
    api.put(TICKET_URL, json={"ticket": {}})
    assert applier.apply(event("ticket_comment_added__end_user_urgent")) == "updated"
    assert applier.apply(event("ticket_comment_added__end_user_urgent")) == "duplicate"
    assert len(put_bodies()) == 1


def test_same_comment_from_a_trigger_after_the_event_webhook_is_a_duplicate(applier, api):
    api.put(TICKET_URL, json={"ticket": {}})
    applier.apply(event("ticket_comment_added__end_user_urgent"))
    assert applier.apply(event("trigger_comment__end_user")) == "duplicate"
    assert len(api.calls) == 1


def test_ticket_that_already_has_everything_is_a_noop(applier, api):
    base = event("ticket_comment_added__end_user_urgent")
    urgent_again = replace(
        base, ticket={**base.ticket, "priority": "urgent", "tags": ["category_incident", "urgency_urgent"]}
    )
    assert applier.apply(urgent_again) == "noop"
    assert len(api.calls) == 0


def test_ticket_with_everything_including_fields_is_a_noop_after_one_read(make_applier, known_integration_user, api):
    applier = make_applier(policy=FakePolicy())
    done = api_ticket(
        priority="urgent",
        tags=["enterprise", "category_incident", "urgency_urgent"],
        custom_fields=[
            {"id": URGENCY_FIELD, "value": "urgent"},
            {"id": CATEGORY_FIELD, "value": "incident"},
            {"id": DUE_FIELD, "value": "2026-11-30T18:00:00Z"},
            {"id": AFTER_HOURS_FIELD, "value": False},
        ],
    )
    api.get(TICKET_URL, json={"ticket": done})
    base = event("ticket_comment_added__end_user_urgent")
    urgent_again = replace(base, ticket={**base.ticket, "priority": "urgent", "tags": done["tags"]})
    assert applier.apply(urgent_again) == "noop"
    assert [c.request.method for c in api.calls] == ["GET"]


def test_priority_is_never_lowered(applier, api, put_bodies):
    api.put(TICKET_URL, json={"ticket": {}})
    assert applier.apply(event("ticket_comment_added__time_sensitive_on_urgent_ticket")) == "updated"
    body = put_bodies()[0]["ticket"]
    assert "priority" not in body
    assert body["tags"] == ["enterprise", "category_incident", "urgency_urgent", "urgency_time_sensitive"]


def test_conflict_rereads_decides_again_and_retries_with_the_new_stamp(applier, api, put_bodies, decide):
    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(
        TICKET_URL,
        json={
            "ticket": api_ticket(
                priority="high", tags=["enterprise", "category_incident"], updated_at="2026-11-30T16:00:09Z"
            )
        },
    )
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(event("ticket_comment_added__end_user_urgent")) == "updated"

    first, second = put_bodies()
    assert first["ticket"]["updated_stamp"] == "2026-11-30T16:00:00Z"
    assert second["ticket"]["updated_stamp"] == "2026-11-30T16:00:09Z"
    assert second["ticket"]["priority"] == "urgent"
    assert [t.current_priority for t in decide.calls] == ["normal", "high"]


def test_conflict_that_does_not_settle_is_raised_for_the_job_to_reschedule(applier, api, redis_db):
    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json={"ticket": api_ticket()})
    with pytest.raises(Conflict):
        applier.apply(event("ticket_comment_added__end_user_urgent"))
    assert len([c for c in api.calls if c.request.method == "PUT"]) == 4
    assert not redis_db.exists(redis_keys.done("ticket:35436:comment:41000000001"))


def test_trigger_comment_is_read_with_its_author_in_one_call(applier, api, put_bodies, decide):
    api.get(
        COMMENTS_URL,
        match=[matchers.query_param_matcher({"sort_order": "desc", "include": "users", "per_page": "100"})],
        json=comments_page(end_user_comment(), users=[END_USER]),
    )
    api.get(TICKET_URL, json={"ticket": api_ticket(tags=["category_account_access"])})
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(event("trigger_comment__end_user")) == "updated"

    assert [c.request.method for c in api.calls] == ["GET", "GET", "PUT"]
    assert decide.calls[0].body == "Please help, this is urgent now."
    assert decide.calls[0].known_category == "account_access"
    assert put_bodies()[0]["ticket"]["priority"] == "urgent"


@pytest.mark.parametrize(
    "comment, users, status",
    [
        (end_user_comment(author=235323), [AGENT], "ignored:agent_comment"),
        (end_user_comment(public=False), [END_USER], "ignored:private_comment"),
        (end_user_comment(author=INTEGRATION_USER_ID, public=False), [], "ignored:own_update"),
    ],
)
def test_trigger_comment_not_for_the_policy_stops_after_the_read(applier, api, comment, users, status):
    api.get(COMMENTS_URL, json=comments_page(comment, users=users))
    assert applier.apply(event("trigger_comment__end_user")) == status
    assert len(api.calls) == 1


def test_trigger_comment_that_is_gone_is_dropped(applier, api):
    api.get(COMMENTS_URL, json=comments_page())
    assert applier.apply(event("trigger_comment__end_user")) == "dropped:comment_not_found"


@pytest.mark.parametrize("status, result", [(404, "dropped:not_found"), (422, "dropped:unprocessable")])
def test_deleted_or_refused_ticket_is_logged_and_dropped(applier, api, redis_db, caplog, status, result):
    api.put(TICKET_URL, status=status, json={"error": "RecordNotFound" if status == 404 else "RecordInvalid"})
    with caplog.at_level(logging.WARNING, logger="escalator.worker"):
        assert applier.apply(event("ticket_created__urgent_outage")) == result
    assert "ticket=35436" in caplog.text and str(status) in caplog.text
    assert redis_db.get(redis_keys.done("ticket:35436:created")) == result.encode()


@pytest.mark.parametrize("status, error", [(429, RateLimited), (500, ZendeskUnavailable), (401, AuthFailed)])
def test_retryable_and_fatal_errors_reach_the_job_and_leave_no_done_mark(applier, api, redis_db, status, error):
    api.put(TICKET_URL, status=status, headers={"Retry-After": "3"})
    with pytest.raises(error):
        applier.apply(event("ticket_created__urgent_outage"))
    assert not redis_db.exists(redis_keys.done("ticket:35436:created"))
    assert not redis_db.exists(redis_keys.ticket_lock(35436))


def test_a_locked_ticket_raises_busy(applier, redis_db, api):
    applier.lock_wait_seconds = 0.1
    held = redis_db.lock(redis_keys.ticket_lock(35436), timeout=5)
    assert held.acquire()
    try:
        with pytest.raises(TicketBusy):
            applier.apply(event("ticket_created__urgent_outage"))
    finally:
        held.release()
    assert len(api.calls) == 0


def test_no_customer_text_in_logs(applier, api, caplog):
    api.put(TICKET_URL, json={"ticket": {}})
    with caplog.at_level(logging.DEBUG, logger="escalator"):
        applier.apply(event("ticket_comment_added__end_user_urgent"))
    assert "worker.ticket.updated ticket=35436" in caplog.text
    for words in ("dashboard is down", "Escalated to urgent", "API returning 503"):
        assert words not in caplog.text


def test_dry_run_logs_the_put_it_would_send(make_applier, caplog):
    applier = make_applier(dry_run=True)
    with caplog.at_level(logging.INFO, logger="escalator.zendesk.dry_run"):
        assert applier.apply(event("ticket_created__urgent_outage")) == "updated"
    line, note = [r.getMessage() for r in caplog.records if r.name == "escalator.zendesk.dry_run"]
    assert line.startswith("zendesk.dry_run.request method=PUT path=/api/v2/tickets/35436 body=")
    body = json.loads(line.split("body=", 1)[1])
    assert body["ticket"]["priority"] == "urgent"
    # the note again, on its own, for an admin to read
    assert note == "zendesk.dry_run.internal_note ticket=35436 body=" + body["ticket"]["comment"]["body"]


def test_dry_run_skips_trigger_events_that_need_reads(make_applier):
    applier = make_applier(dry_run=True)
    assert applier.apply(event("trigger_comment__end_user")) == "skipped:dry_run"
    assert applier.apply(event("trigger_created__new_ticket")) == "skipped:dry_run"


def test_a_snapshot_without_updated_at_is_not_trusted_the_ticket_is_read(applier, api, put_bodies):
    # Without a stamp the write could not be guarded, and the snapshot may hide an urgent priority.
    snapshot_less = event("ticket_comment_added__time_sensitive_on_urgent_ticket")
    snapshot_less = replace(snapshot_less, ticket={**snapshot_less.ticket, "updated_at": None, "priority": None})
    api.get(TICKET_URL, json={"ticket": api_ticket(priority="urgent", updated_at="2026-11-30T16:00:05Z")})
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(snapshot_less) == "updated"
    [body] = put_bodies()
    assert "priority" not in body["ticket"]  # the read showed urgent: never lowered to high
    assert body["ticket"]["safe_update"] is True
    assert body["ticket"]["updated_stamp"] == "2026-11-30T16:00:05Z"


def test_dry_run_leaves_no_done_mark_so_a_live_run_still_applies_the_event(make_applier, redis_db):
    assert make_applier(dry_run=True).apply(event("ticket_created__urgent_outage")) == "updated"
    assert redis_db.keys(redis_keys.done("*")) == []


def test_a_configured_field_the_ticket_does_not_have_is_not_written(
    make_applier, known_integration_user, api, put_bodies
):
    applier = make_applier(policy=FakePolicy())  # all four field ids configured
    without_due_field = [
        {"id": URGENCY_FIELD, "value": None},
        {"id": CATEGORY_FIELD, "value": None},
        {"id": AFTER_HOURS_FIELD, "value": False},
    ]
    api.get(TICKET_URL, json={"ticket": api_ticket(custom_fields=without_due_field, updated_at="2026-11-27T15:00:00Z")})
    api.put(TICKET_URL, json={"ticket": {}})
    assert applier.apply(event("ticket_created__urgent_outage")) == "updated"
    [body] = put_bodies()
    assert DUE_FIELD not in [f["id"] for f in body["ticket"]["custom_fields"]]


# --- Tags: the whole list, merged, under safe_update ----------------------------------------


def test_a_tag_added_by_someone_else_between_the_event_and_our_write_survives_the_409_retry(
    applier, api, put_bodies, decide
):
    """Update Ticket replaces the list: the merge must be redone on what the ticket holds now."""
    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(
        TICKET_URL,
        json={
            "ticket": api_ticket(
                tags=["enterprise", "category_incident", "vip_escalation"],  # an agent added it meanwhile
                updated_at="2026-11-30T16:00:09Z",
            )
        },
    )
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})

    assert applier.apply(event("ticket_comment_added__end_user_urgent")) == "updated"

    first, second = put_bodies()
    assert first["ticket"]["tags"] == ["enterprise", "category_incident", "urgency_urgent"]
    assert first["ticket"]["updated_stamp"] == "2026-11-30T16:00:00Z"
    assert second["ticket"]["tags"] == ["enterprise", "category_incident", "vip_escalation", "urgency_urgent"]
    assert second["ticket"]["updated_stamp"] == "2026-11-30T16:00:09Z"
    assert len(decide.calls) == 2  # decided again on the fresh ticket


def test_a_tag_removed_by_someone_else_in_between_is_not_put_back(applier, api, put_bodies):
    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json={"ticket": api_ticket(tags=["category_incident"], updated_at="2026-11-30T16:00:09Z")})
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})

    assert applier.apply(event("ticket_comment_added__end_user_urgent")) == "updated"

    assert put_bodies()[1]["ticket"]["tags"] == ["category_incident", "urgency_urgent"]


# --- 422 on custom fields: the rest still lands ---------------------------------------------

REFUSED_DUE_DATE = {
    "error": "RecordInvalid",
    "description": "Record validation errors",
    "details": {
        "base": [
            {
                "description": "Response due is not valid",
                "error": "InvalidValue",
                "ticket_field_id": DUE_FIELD,
                "ticket_field_type": "FieldDate",
            }
        ]
    },
}


def test_a_refused_custom_field_retries_once_without_the_fields_and_the_note_says_which(
    make_applier, known_integration_user, api, put_bodies, caplog
):
    applier = make_applier(policy=FakePolicy())
    api.get(TICKET_URL, json={"ticket": api_ticket(updated_at="2026-11-27T15:00:00Z")})
    api.put(TICKET_URL, status=422, json=REFUSED_DUE_DATE)
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})

    with caplog.at_level(logging.INFO, logger="escalator.worker"):
        assert applier.apply(event("ticket_created__urgent_outage")) == "updated"

    refused, written = put_bodies()
    assert [f["id"] for f in refused["ticket"]["custom_fields"]] == [URGENCY_FIELD, CATEGORY_FIELD, DUE_FIELD]
    assert "custom_fields" not in written["ticket"]
    assert written["ticket"]["priority"] == "urgent"
    assert written["ticket"]["tags"] == refused["ticket"]["tags"]
    assert written["ticket"]["updated_stamp"] == "2026-11-27T15:00:00Z"
    note = written["ticket"]["comment"]["body"]
    assert note.startswith("Escalated to urgent (incident).\n\n")
    assert f"Zendesk refused custom field {DUE_FIELD}," in note
    assert f"worker.ticket.fields_refused ticket=35436 fields={DUE_FIELD}" in caplog.text
    assert "Response due is not valid" not in caplog.text  # Zendesk's description stays out of the log


def test_a_refused_custom_field_that_was_all_the_update_had_is_not_written_again(
    make_applier, known_integration_user, api, put_bodies, redis_db
):
    applier = make_applier(policy=FakePolicy())
    done = api_ticket(priority="urgent", tags=["enterprise", "urgency_urgent", "category_incident"])
    api.get(TICKET_URL, json={"ticket": done})
    api.put(TICKET_URL, status=422, json=REFUSED_DUE_DATE)

    assert applier.apply(event("ticket_created__urgent_outage")) == "dropped:fields_refused"

    assert len(put_bodies()) == 1
    assert redis_db.get(redis_keys.done("ticket:35436:created")) == b"dropped:fields_refused"


class WatchRecorder:
    """On-call hooks that only record what the applier asks to watch (no paging)."""

    def __init__(self):
        self.watched = []

    def watch(self, ticket_id, decision, since):
        self.watched.append((ticket_id, decision.urgency))


def test_a_ticket_that_has_the_decision_but_a_refused_field_is_still_watched(make_applier, known_integration_user, api):
    """The SLA watchdog watches every urgent decision whose ticket has it, as for a noop (an
    agent's reply may have disarmed the earlier watch); a custom field Zendesk refuses changes
    nothing there."""
    applier = make_applier(policy=FakePolicy())
    applier.oncall = WatchRecorder()
    done = api_ticket(priority="urgent", tags=["enterprise", "urgency_urgent", "category_incident"])
    api.get(TICKET_URL, json={"ticket": done})
    api.put(TICKET_URL, status=422, json=REFUSED_DUE_DATE)

    assert applier.apply(event("ticket_created__urgent_outage")) == "dropped:fields_refused"
    assert applier.oncall.watched == [(35436, "urgent")]


def test_a_422_that_names_no_field_of_ours_drops_the_update_as_before(applier, api, put_bodies):
    closed = {"error": "RecordInvalid", "details": {"status": [{"description": "closed prevents ticket update"}]}}
    api.put(TICKET_URL, status=422, json=closed)
    assert applier.apply(event("ticket_created__urgent_outage")) == "dropped:unprocessable"
    assert len(put_bodies()) == 1


# --- One pass per new ticket -----------------------------------------------------------------


def description_echo(**ticket_times):
    """The new ticket's first comment as `comment_added`: the snapshot unchanged since creation."""
    base = event("ticket_comment_added__end_user_urgent")
    times = {"created_at": "2026-11-30T16:00:00Z", "updated_at": "2026-11-30T16:00:00Z", **ticket_times}
    return replace(base, ticket={**base.ticket, **times})


def test_the_first_comment_of_a_new_ticket_costs_no_decision_and_no_call(applier, api, decide):
    assert applier.apply(description_echo()) == "ignored:first_comment"
    assert len(api.calls) == 0
    assert decide.calls == []


@pytest.mark.parametrize(
    "times",
    [
        {"updated_at": "2026-11-30T16:00:01Z"},  # the ticket changed since it was created
        {"created_at": None},  # the snapshot cannot tell
        {"updated_at": None},
    ],
)
def test_a_comment_on_a_ticket_that_changed_since_creation_is_decided(applier, api, decide, times):
    if times.get("updated_at", "") is None:  # a snapshot without a stamp is not trusted: the ticket is read
        api.get(TICKET_URL, json={"ticket": api_ticket(updated_at="2026-11-30T16:00:05Z")})
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})
    assert applier.apply(description_echo(**times)) == "updated"
    assert len(decide.calls) == 1


def test_the_first_comment_rule_is_only_for_event_webhook_comments(applier, api):
    created = event("ticket_created__urgent_outage")  # created_at == updated_at, but a creation
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})
    assert applier.apply(created) == "updated"
