"""Parsing webhook bodies: Zendesk's documented payloads, trigger bodies, and anything at all."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ticket_event import MESSAGE, STATUS_CHANGED
from app.webhooks.events import COMMENT, CREATED, EVENT_HANDLERS, InvalidEvent, TicketEvent, parse_event
from app.webhooks.trigger_body import trigger_body
from tests.helpers import SAMPLES, load_json

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "zendesk"


def test_documented_ticket_created_payload():
    event = parse_event(load_json(REFERENCE / "ticket_created__documented_example.json"))
    assert event.kind == CREATED and event.source == "event"
    assert event.ticket_id == 5158
    assert event.event_id == "cbe4028c-7239-495d-b020-f22348516046"
    assert event.ticket["priority"] == "high"  # Zendesk sends HIGH
    assert event.ticket["tags"] == ["mobile", "login"]
    assert event.occurred_at == "2025-01-08T10:12:07.672717030Z"


def test_captured_private_note_payload():
    event = parse_event(load_json(REFERENCE / "ticket_comment_added__private_note_captured.json"))
    assert event.kind == COMMENT
    assert event.comment["is_public"] is False
    assert event.comment["author_id"] == 58789189659033
    assert event.comment["author_is_staff"] is False
    assert event.actor_id == 58789189659033


def test_job_round_trip():
    event = parse_event(load_json(SAMPLES / "ticket_comment_added__end_user_time_sensitive.json"))
    assert TicketEvent.from_job(json.loads(json.dumps(event.to_job()))) == event


def test_job_id_is_safe_and_derived_from_the_event():
    event = parse_event(load_json(SAMPLES / "trigger__comment.json"))
    assert event.job_id == "zendesk-trigger-7009-60000000000009"


def test_unknown_type_is_none_and_handled_types_are_listed():
    assert parse_event({"type": "zen:event-type:ticket.merged"}) is None
    assert sorted(EVENT_HANDLERS) == [
        "zen:event-type:messaging_ticket.message_added",
        "zen:event-type:ticket.comment_added",
        "zen:event-type:ticket.created",
        "zen:event-type:ticket.status_changed",
    ]


def test_documented_messaging_payload_a_bot_message():
    event = parse_event(load_json(REFERENCE / "messaging_ticket_message_added__documented_example.json"))
    assert (event.kind, event.source, event.ticket_id) == (MESSAGE, "event", 141)
    assert event.event_id == "01JQMQH83YNAKWSWJ8B1QH2NSC"  # a ULID, not a UUID: still the job's identity
    assert event.occurred_at == "2025-02-11T14:32:05.254571515Z"
    assert event.message == {
        "id": "67ab5f55155becd183e284cb",
        "body": "Hi there. How can I help you today?",
        "author_type": "system",
    }
    assert event.ticket is None and event.comment is None  # detail holds only the ticket id
    assert event.work_id == "ticket:141:message:67ab5f55155becd183e284cb"


def test_end_user_messaging_message():
    event = parse_event(load_json(REFERENCE / "messaging_ticket_message_added__end_user_urgent.json"))
    assert event.message["author_type"] == "end_user"
    assert event.message["body"].startswith("This is urgent now")
    assert TicketEvent.from_job(json.loads(json.dumps(event.to_job()))) == event


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda e: e["message"].pop("body"), None),  # absent: the worker reads it
        (lambda e: e["message"].update(body={"rich": "content"}), None),
        (lambda e: e.pop("actor"), "unknown"),
        (lambda e: e["actor"].update(type="bot"), "unknown"),
        (lambda e: e["actor"].update(id="zd:answerBot"), "system"),
    ],
)
def test_messaging_message_without_text_or_with_an_odd_actor(change, expected):
    body = load_json(REFERENCE / "messaging_ticket_message_added__end_user_urgent.json")
    change(body["event"])
    message = parse_event(body).message
    if expected is None:
        assert message["body"] is None and message["author_type"] == "end_user"
    else:
        assert message["author_type"] == expected


@pytest.mark.parametrize("message_id", ["", "a b", "x" * 200, "../../keys"])
def test_messaging_message_id_must_be_an_id(message_id):
    body = load_json(REFERENCE / "messaging_ticket_message_added__end_user_urgent.json")
    body["event"]["message"]["id"] = message_id
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    assert caught.value.missing == ["event.message.id"]


def test_missing_author_staff_flag_counts_as_staff():
    body = load_json(SAMPLES / "ticket_comment_added__end_user_time_sensitive.json")
    del body["event"]["comment"]["author"]["is_staff"]
    assert parse_event(body).comment["author_is_staff"] is True


@pytest.mark.parametrize("field, value", [("time", "yesterday"), ("time", "2026-11-27T15:00:00")])
def test_event_time_must_be_iso_with_zone(field, value):
    body = load_json(SAMPLES / "ticket_created__urgent_incident.json")
    body[field] = value
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    assert caught.value.missing == [field]


def test_unrendered_trigger_placeholder_is_refused():
    body = load_json(SAMPLES / "trigger__comment.json")
    body["updated_at"] = "{{ticket.updated_at_with_timestamp}}"
    with pytest.raises(InvalidEvent, match="ISO 8601"):
        parse_event(body)


def test_trigger_template_has_ids_times_and_status_only():
    for event in ("created", "comment", "status_changed"):
        template = trigger_body(event)
        assert template["event"] == event
        assert all(v.startswith("{{") or k == "event" for k, v in template.items())
        assert "{{ticket.latest_comment}}" not in template.values()  # no free text
    assert "comment_id" in trigger_body("comment") and "comment_id" not in trigger_body("created")
    assert trigger_body("status_changed")["status"] == "{{ticket.status}}"
    assert "status" not in trigger_body("created") and "status" not in trigger_body("comment")


def test_trigger_status_change_is_the_event_kind_events_mode_makes():
    from_trigger = parse_event(load_json(REFERENCE / "trigger_status_changed__solved.json"))
    from_event = parse_event(load_json(REFERENCE / "ticket_status_changed__solved.json"))

    assert from_trigger.kind == from_event.kind == STATUS_CHANGED
    assert (from_trigger.source, from_trigger.ticket_id) == ("trigger", 35436)
    assert from_trigger.ticket["status"] == from_event.ticket["status"] == "solved"  # "Solved" as rendered
    assert from_trigger.occurred_at == "2026-11-28T09:05:00Z"
    assert from_trigger.actor_id == 8447388090494
    assert from_trigger.ticket["subject"] == "" and from_trigger.comment is None  # no text in a trigger body
    assert from_trigger.job_id == "zendesk-trigger-35436-status-1795856700"  # 2026-11-28T09:05:00Z
    assert TicketEvent.from_job(json.loads(json.dumps(from_trigger.to_job()))) == from_trigger


def test_each_status_change_by_trigger_is_its_own_event():
    body = load_json(REFERENCE / "trigger_status_changed__solved.json")
    first = parse_event(body)
    assert parse_event(body).job_id == first.job_id  # a redelivery is the same job
    again = parse_event({**body, "updated_at": "2026-11-29T10:00:00Z"})  # solved again after a reopen
    assert again.job_id != first.job_id


@pytest.mark.parametrize(
    "rendered, status",
    [
        ("Closed", "closed"),
        ("solved", "solved"),
        ("Open", "open"),  # not what our trigger sends, but said plainly: the worker leaves the page
        ("Gelöst", "solved"),  # a translated name: the trigger fires only on solved or closed
        ("", "solved"),
    ],
)
def test_trigger_status_is_read_as_a_zendesk_status(rendered, status):
    body = {**load_json(REFERENCE / "trigger_status_changed__solved.json"), "status": rendered}
    assert parse_event(body).ticket["status"] == status


def test_trigger_status_change_needs_its_update_time():
    body = load_json(REFERENCE / "trigger_status_changed__solved.json")
    del body["updated_at"]
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    assert caught.value.missing == ["updated_at"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def _mutated(sample: dict, data) -> dict:
    body = json.loads(json.dumps(sample))
    target = body
    path = data.draw(
        st.lists(
            st.sampled_from(
                [
                    "detail",
                    "event",
                    "comment",
                    "author",
                    "id",
                    "time",
                    "tags",
                    "subject",
                    "body",
                    "ticket_id",
                    "comment_id",
                    "updated_at",
                    "message",
                    "actor",
                    "type",
                ]
            ),
            min_size=1,
            max_size=3,
        )
    )
    for key in path[:-1]:
        nxt = target.get(key) if isinstance(target, dict) else None
        if not isinstance(nxt, dict):
            break
        target = nxt
    if isinstance(target, dict):
        target[path[-1]] = data.draw(json_values)
    return body


@settings(max_examples=300, deadline=None)
@given(data=st.data(), sample=st.sampled_from(sorted(p.name for p in SAMPLES.glob("*.json"))))
def test_any_body_parses_to_a_well_typed_event_or_a_clear_refusal(data, sample):
    body = _mutated(load_json(SAMPLES / sample), data)
    try:
        event = parse_event(body)
    except InvalidEvent as error:
        assert error.missing
        return
    if event is None:
        return
    assert isinstance(event.ticket_id, int) and event.ticket_id > 0
    assert isinstance(event.event_id, str) and isinstance(event.occurred_at, str)
    if event.ticket is not None:
        assert isinstance(event.ticket["subject"], str) and isinstance(event.ticket["description"], str)
        assert all(isinstance(t, str) for t in event.ticket["tags"])
    if event.comment is not None and "body" in event.comment:
        assert isinstance(event.comment["body"], str) and isinstance(event.comment["author_is_staff"], bool)
    if event.message is not None:
        assert event.message["body"] is None or isinstance(event.message["body"], str)
        assert event.message["author_type"] in ("end_user", "agent", "trigger", "system", "unknown")
    json.dumps(event.to_job())


@settings(max_examples=200, deadline=None)
@given(body=json_values)
def test_arbitrary_json_never_raises_anything_but_invalid_event(body):
    with contextlib.suppress(InvalidEvent):
        parse_event(body)


@pytest.mark.parametrize("field", ["created_at", "updated_at"])
def test_ticket_times_must_be_iso_when_present(field):
    body = load_json(SAMPLES / "ticket_created__urgent_incident.json")
    body["detail"][field] = "November 27, 2026"  # what a day-only placeholder renders
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    assert caught.value.missing == [f"detail.{field}"]
    body["detail"][field] = None
    assert parse_event(body).ticket[field] is None


def test_event_ids_that_differ_only_in_punctuation_get_different_jobs():
    body = load_json(SAMPLES / "ticket_created__urgent_incident.json")
    ids = set()
    for event_id in ("a:b", "a-b", "a.b", "a b"):
        body["id"] = event_id
        ids.add(parse_event(body).job_id)
    assert len(ids) == 4
    assert "zendesk-a-b" in ids
