from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.zendesk.ticket_update import TicketState, build_ticket_update, public_reply_update
from tests.openapi import undeclared_properties, validate_request
from tests.zendesk.factories import (
    AFTER_HOURS_FIELD,
    CATEGORY_FIELD,
    CATEGORY_NAMES,
    CATEGORY_TAGS,
    DUE_FIELD,
    NO_FIELDS,
    URGENCY_FIELD,
    ZendeskConfig,
    api_ticket,
    decision,
    fixture,
)

UPDATE = ("PUT", "/api/v2/tickets/{ticket_id}")
FIELDS = ZendeskConfig()


def snapshot_state(**changes) -> TicketState:
    state = TicketState(
        ticket_id=35436,
        priority="normal",
        tags=("enterprise",),
        updated_at="2026-11-27T15:00:00Z",
        subject="URGENT: API returning 503",
    )
    return replace(state, **changes)


def assert_valid(body: dict) -> None:
    validate_request(*UPDATE, body)
    # additional_tags and remove_tags are documented for update_many, not in the single-ticket
    # schema (which does not forbid unknown keys); they are the only keys we send that the schema
    # does not declare.
    assert set(undeclared_properties(*UPDATE, body)) <= {"ticket.additional_tags", "ticket.remove_tags"}


def test_urgent_decision_on_a_fresh_ticket_sets_everything_in_one_body():
    body = build_ticket_update(decision(), snapshot_state(), FIELDS)

    assert body == {
        "ticket": {
            "priority": "urgent",
            "additional_tags": ["urgency_urgent", "category_incident"],
            "custom_fields": [
                {"id": URGENCY_FIELD, "value": "urgent"},
                {"id": CATEGORY_FIELD, "value": "incident"},
                {"id": AFTER_HOURS_FIELD, "value": False},
                {"id": DUE_FIELD, "value": "2026-11-27"},
            ],
            "comment": {"body": "Escalated to urgent: the subject says URGENT.", "public": False},
            "safe_update": True,
            "updated_stamp": "2026-11-27T15:00:00Z",
        }
    }
    assert_valid(body)


def test_response_due_date_field_gets_the_utc_date():
    late = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)  # still Nov 27 in New York
    body = build_ticket_update(decision(due=late), snapshot_state(), FIELDS)
    assert {"id": DUE_FIELD, "value": "2026-11-28"} in body["ticket"]["custom_fields"]


def test_response_due_text_field_gets_the_full_utc_time():
    body = build_ticket_update(decision(), snapshot_state(), replace(FIELDS, response_due_field_type="text"))
    assert {"id": DUE_FIELD, "value": "2026-11-27T17:00:00Z"} in body["ticket"]["custom_fields"]
    assert_valid(body)


def test_unconfigured_fields_are_left_out():
    body = build_ticket_update(decision(), snapshot_state(), NO_FIELDS)
    assert "custom_fields" not in body["ticket"]
    assert_valid(body)


def test_priority_is_never_lowered():
    body = build_ticket_update(decision("time_sensitive", priority="high"), snapshot_state(priority="urgent"), FIELDS)
    assert "priority" not in body["ticket"]
    assert body["ticket"]["additional_tags"] == ["urgency_time_sensitive", "category_incident"]


@pytest.mark.parametrize("current", [None, "low", "normal", "high"])
def test_priority_is_raised_from_anything_lower(current):
    body = build_ticket_update(decision(), snapshot_state(priority=current), FIELDS)
    assert body["ticket"]["priority"] == "urgent"


def test_only_missing_tags_are_added_never_the_whole_list():
    state = snapshot_state(tags=("enterprise", "category_incident"))
    body = build_ticket_update(decision(), state, FIELDS)
    assert body["ticket"]["additional_tags"] == ["urgency_urgent"]
    assert "tags" not in body["ticket"]


def test_nothing_to_change_is_none_and_so_no_note():
    state = TicketState.from_api(
        api_ticket(
            priority="urgent",
            tags=["enterprise", "urgency_urgent", "category_incident"],
            custom_fields=[
                {"id": URGENCY_FIELD, "value": "urgent"},
                {"id": CATEGORY_FIELD, "value": "incident"},
                {"id": DUE_FIELD, "value": "2026-11-27"},
                {"id": AFTER_HOURS_FIELD, "value": False},
            ],
        )
    )
    assert build_ticket_update(decision(), state, FIELDS) is None


def test_a_snapshot_without_fields_counts_them_as_different():
    state = snapshot_state(priority="urgent", tags=("urgency_urgent", "category_incident"))
    body = build_ticket_update(decision(), state, FIELDS)
    assert set(body["ticket"]) == {"custom_fields", "comment", "safe_update", "updated_stamp"}


def test_urgency_field_is_not_lowered_and_due_only_moves_earlier():
    state = TicketState.from_api(
        api_ticket(
            priority="urgent",
            tags=["urgency_urgent", "category_incident", "urgency_time_sensitive"],
            custom_fields=[
                {"id": URGENCY_FIELD, "value": "urgent"},
                {"id": CATEGORY_FIELD, "value": "incident"},
                {"id": DUE_FIELD, "value": "2026-11-26"},
                {"id": AFTER_HOURS_FIELD, "value": False},
            ],
        )
    )
    assert build_ticket_update(decision("time_sensitive", priority="high"), state, FIELDS) is None

    earlier = TicketState.from_api(api_ticket(custom_fields=[{"id": DUE_FIELD, "value": "2026-12-01"}]))
    body = build_ticket_update(decision(), earlier, FIELDS)
    assert {"id": DUE_FIELD, "value": "2026-11-27"} in body["ticket"]["custom_fields"]


def test_near_miss_adds_its_tag_and_a_note_but_no_priority_or_fields():
    near_miss = decision(
        "none",
        priority=None,
        tags=("urgency_near_miss",),
        due=None,
        explanation="Possible misspelling of 'urgent': 'urgnet'.",
    )
    body = build_ticket_update(near_miss, snapshot_state(), FIELDS)
    assert body == {
        "ticket": {
            "additional_tags": ["urgency_near_miss"],
            "comment": {"body": "Possible misspelling of 'urgent': 'urgnet'.", "public": False},
            "safe_update": True,
            "updated_stamp": "2026-11-27T15:00:00Z",
        }
    }
    assert_valid(body)


def test_none_decision_without_tags_is_a_noop():
    assert build_ticket_update(decision("none", priority=None, due=None), snapshot_state(), FIELDS) is None


def test_without_updated_at_there_is_no_safe_update():
    body = build_ticket_update(decision(), snapshot_state(updated_at=None), FIELDS)
    assert "safe_update" not in body["ticket"] and "updated_stamp" not in body["ticket"]
    assert_valid(body)


def test_state_from_api_and_from_snapshot():
    api = TicketState.from_api(api_ticket(tags=["category_fraud_attack", "vip"]))
    assert (api.priority, api.custom_fields[AFTER_HOURS_FIELD]) == ("normal", False)
    assert api.known_category("category_", CATEGORY_NAMES) == "fraud_attack"

    detail = fixture("ticket_created__urgent_outage")["detail"]
    snap = TicketState.from_snapshot(
        35436, {"priority": None, "tags": detail["tags"], "updated_at": detail["updated_at"]}
    )
    assert (snap.priority, snap.known_category("category_", CATEGORY_NAMES), snap.custom_fields) == (None, None, None)


def test_known_category_with_two_category_tags_is_the_first_in_the_tie_order():
    state = snapshot_state(tags=("category_other", "enterprise", "category_account_access", "category_incident"))
    assert state.known_category("category_", CATEGORY_NAMES) == "incident"


def test_known_category_ignores_category_tags_the_policy_does_not_name():
    assert snapshot_state(tags=("category_billing",)).known_category("category_", CATEGORY_NAMES) is None
    state = snapshot_state(tags=("category_billing", "category_account_access"))
    assert state.known_category("category_", CATEGORY_NAMES) == "account_access"


def test_a_new_category_removes_the_stale_policy_category_tags_in_the_same_put():
    state = snapshot_state(tags=("enterprise", "category_other", "category_billing"))
    body = build_ticket_update(decision(category="incident"), state, NO_FIELDS, CATEGORY_TAGS)
    assert body["ticket"]["additional_tags"] == ["urgency_urgent", "category_incident"]
    assert body["ticket"]["remove_tags"] == ["category_other"]  # category_billing is the agent's
    assert_valid(body)


def test_the_kept_category_removes_the_others_too():
    state = snapshot_state(tags=("category_other", "category_incident"))
    body = build_ticket_update(decision(category="incident"), state, NO_FIELDS, CATEGORY_TAGS)
    assert body["ticket"]["additional_tags"] == ["urgency_urgent"]
    assert body["ticket"]["remove_tags"] == ["category_other"]


def test_a_decision_without_a_category_tag_removes_none():
    state = snapshot_state(tags=("category_other", "category_incident"))
    near_miss = decision("none", priority=None, tags=("urgency_near_miss",), due=None)
    body = build_ticket_update(near_miss, state, NO_FIELDS, CATEGORY_TAGS)
    assert "remove_tags" not in body["ticket"]
    assert build_ticket_update(decision("none", priority=None, due=None), state, NO_FIELDS, CATEGORY_TAGS) is None


def test_openapi_helper_rejects_what_zendesk_rejects():
    with pytest.raises(Exception, match="read-only"):
        validate_request(*UPDATE, {"ticket": {"updated_at": "2026-11-27T15:00:00Z"}})
    with pytest.raises(Exception, match="is not one of"):
        validate_request(*UPDATE, {"ticket": {"priority": "critical"}})
    with pytest.raises(Exception, match="date-time"):
        validate_request(*UPDATE, {"ticket": {"updated_stamp": "yesterday"}})
    assert undeclared_properties("PUT", "/api/v2/tickets/update_many", {"ticket": {"additional_tags": ["x"]}}) == []


def test_public_reply_body_is_one_public_comment_and_its_tag_in_a_safe_update():
    body = public_reply_update(
        "We will get back to you on the next business day.", "next_business_day_replied", "2026-11-28T07:30:05Z"
    )
    assert body == {
        "ticket": {
            "comment": {"body": "We will get back to you on the next business day.", "public": True},
            "additional_tags": ["next_business_day_replied"],
            "safe_update": True,
            "updated_stamp": "2026-11-28T07:30:05Z",
        }
    }
    assert_valid(body)
    assert "safe_update" not in public_reply_update("x", "replied", None)["ticket"]  # a dry run
