"""Messaging conversations (`messaging_ticket.message_added`): an end user's message is read like a
new comment; the event carries no ticket, so the ticket is read when the message may change it."""

import logging
from dataclasses import replace

import pytest
from responses import matchers

from app import redis_keys
from tests.zendesk.factories import BASE_URL, api_ticket, event

pytestmark = pytest.mark.redis

TICKET_URL = f"{BASE_URL}/api/v2/tickets/35436"
LOG_URL = f"{TICKET_URL}/conversation_log"
MESSAGE_ID = "6a4f6e01dae152f024959b07"


def message_event(body="This is urgent now: the dashboard is down for all our agents.", author_type="end_user"):
    base = event("messaging_ticket_message_added__end_user_urgent")
    return replace(base, message={**base.message, "body": body, "author_type": author_type})


def conversation_log(*records):
    return {"events": list(records), "links": {}, "meta": {"has_more": False}}


def log_record(message_id=MESSAGE_ID, content=None):
    """A conversation-log record as the OpenAPI file's example shows a messaging message."""
    return {
        "id": "02JSED093DTX4RTDRRJXN2YKB0",
        "type": "Messaging::ConversationMessage",
        "reference": f"zen:sunco:conversation_message:{message_id}",
        "author": {"type": "user", "zen:sunco:user_id": "6a4f5df5dae152f024959a1a"},
        "content": content or {"type": "text", "text": "URGENT: nothing loads"},
        "created_at": "2026-11-30T16:00:00Z",
    }


def test_an_end_users_urgent_message_escalates_like_a_comment(applier, api, put_bodies, decide, redis_db):
    api.get(TICKET_URL, json={"ticket": api_ticket(tags=["whatsapp", "category_incident"])})
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})

    assert applier.apply(event("messaging_ticket_message_added__end_user_urgent")) == "updated"

    text = decide.calls[-1]
    assert (text.event, text.body) == ("comment", "This is urgent now: the dashboard is down for all our agents.")
    assert text.received_at.isoformat() == "2026-11-30T16:00:00.504117+00:00"  # the event's time
    assert (text.current_priority, text.known_category) == ("normal", "incident")
    [body] = put_bodies()
    assert body["ticket"]["priority"] == "urgent"
    assert body["ticket"]["tags"] == ["whatsapp", "category_incident", "urgency_urgent"]
    assert body["ticket"]["updated_stamp"] == "2026-11-30T16:00:01Z"  # from the read: no snapshot
    assert redis_db.exists(redis_keys.done(f"ticket:35436:message:{MESSAGE_ID}"))
    assert applier.apply(event("messaging_ticket_message_added__end_user_urgent")) == "duplicate"


@pytest.mark.parametrize("author_type", ["agent", "trigger", "system", "unknown"])
def test_a_message_not_written_by_the_end_user_costs_no_call(applier, api, decide, author_type):
    assert applier.apply(message_event(author_type=author_type)) == f"ignored:{author_type}_message"
    assert len(api.calls) == 0 and decide.calls == []


def test_the_documented_bot_message_is_ignored(applier, api):
    assert applier.apply(event("messaging_ticket_message_added__documented_example")) == "ignored:system_message"
    assert len(api.calls) == 0


def test_an_ordinary_message_is_a_noop_without_reading_the_ticket(applier, api):
    """Most messages of a chat change nothing whatever the ticket holds: no read, no write."""
    assert applier.apply(message_event("Thanks, that helps!")) == "noop"
    assert len(api.calls) == 0


def test_a_blank_message_is_ignored(applier, api, decide):
    assert applier.apply(message_event("   ")) == "ignored:empty_message"
    assert len(api.calls) == 0 and decide.calls == []


def test_a_message_without_text_in_the_event_is_read_from_the_conversation_log(applier, api, put_bodies, decide):
    api.get(
        LOG_URL,
        match=[matchers.query_param_matcher({"sort": "-created_at", "page[size]": "100"})],
        json=conversation_log(log_record("6a4f6e01dae152f024959aaa"), log_record()),
    )
    api.get(TICKET_URL, json={"ticket": api_ticket()})
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})

    assert applier.apply(message_event(body=None)) == "updated"

    assert decide.calls[-1].body == "URGENT: nothing loads"
    assert [c.request.url.split("?")[0] for c in api.calls] == [LOG_URL, TICKET_URL, TICKET_URL]
    assert put_bodies()[0]["ticket"]["priority"] == "urgent"


def test_a_message_the_conversation_log_does_not_have_is_dropped(applier, api, caplog):
    api.get(LOG_URL, json=conversation_log(log_record("6a4f6e01dae152f024959aaa")))
    with caplog.at_level(logging.WARNING, logger="escalator.worker"):
        assert applier.apply(message_event(body=None)) == "dropped:message_not_found"
    assert f"worker.message.not_found ticket=35436 message={MESSAGE_ID}" in caplog.text


def test_a_message_without_text_in_the_log_either_changes_nothing(applier, api):
    api.get(LOG_URL, json=conversation_log(log_record(content={"type": "image", "media_url": "https://x"})))
    assert applier.apply(message_event(body=None)) == "noop"
    assert len(api.calls) == 1


def test_dry_run_decides_a_message_but_cannot_read_the_ticket(make_applier):
    applier = make_applier(dry_run=True)
    assert applier.apply(message_event()) == "skipped:dry_run"
    assert applier.apply(message_event("thanks")) == "noop"


def test_no_message_text_in_logs(applier, api, caplog):
    api.get(TICKET_URL, json={"ticket": api_ticket()})
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent")})
    with caplog.at_level(logging.DEBUG, logger="escalator"):
        applier.apply(message_event())
    assert "worker.ticket.updated ticket=35436" in caplog.text
    assert "dashboard is down" not in caplog.text
