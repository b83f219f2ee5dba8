"""app.zendesk.ticket_update: the PUT bodies, each checked strictly against Zendesk's OpenAPI file."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.zendesk.ticket_update import (
    TicketState,
    build_ticket_update,
    merged_tags,
    public_reply_update,
    without_custom_fields,
)
from tests.openapi import request_violations, undeclared_properties, validate_request
from tests.zendesk.factories import (
    AFTER_HOURS_FIELD,
    CATEGORY_FIELD,
    CATEGORY_NAMES,
    CATEGORY_TAGS,
    DUE_FIELD,
    NEW_YORK,
    NO_FIELDS,
    URGENCY_FIELD,
    ZendeskConfig,
    api_ticket,
    decision,
    fixture,
)

UPDATE = ("PUT", "/api/v2/tickets/{ticket_id}")
FIELDS = ZendeskConfig()
DATE_FIELDS = ZendeskConfig(response_due_field_type="date")


def build(decision, state, fields=FIELDS, category_tags=()):
    return build_ticket_update(decision, state, fields, category_tags, time_zone=NEW_YORK)


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
    """Valid for Update Ticket, and every key declared by it: nothing Zendesk would ignore."""
    assert request_violations("PUT", "/api/v2/tickets/35436", {}, body) == []


def test_urgent_decision_on_a_fresh_ticket_sets_everything_in_one_body():
    body = build(decision(), snapshot_state())

    assert body == {
        "ticket": {
            "priority": "urgent",
            "tags": ["enterprise", "urgency_urgent", "category_incident"],
            "custom_fields": [
                {"id": URGENCY_FIELD, "value": "urgent"},
                {"id": CATEGORY_FIELD, "value": "incident"},
                {"id": AFTER_HOURS_FIELD, "value": False},
                {"id": DUE_FIELD, "value": "2026-11-27T17:00:00Z"},
            ],
            "comment": {"body": "Escalated to urgent: the subject says URGENT.", "public": False},
            "safe_update": True,
            "updated_stamp": "2026-11-27T15:00:00Z",
        }
    }
    assert_valid(body)


def test_response_due_date_field_gets_the_day_in_the_policys_time_zone():
    late = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)  # still Nov 27, 22:30 in New York
    body = build(decision(due=late), snapshot_state(), DATE_FIELDS)
    assert {"id": DUE_FIELD, "value": "2026-11-27"} in body["ticket"]["custom_fields"]
    assert_valid(body)


def test_response_due_text_field_gets_the_utc_time_to_the_minute():
    body = build(decision(due=datetime(2026, 11, 28, 3, 30, tzinfo=UTC)), snapshot_state())
    assert {"id": DUE_FIELD, "value": "2026-11-28T03:30:00Z"} in body["ticket"]["custom_fields"]
    assert_valid(body)


def test_unconfigured_fields_are_left_out():
    body = build(decision(), snapshot_state(), NO_FIELDS)
    assert "custom_fields" not in body["ticket"]
    assert_valid(body)


def test_priority_is_never_lowered():
    body = build(decision("time_sensitive", priority="high"), snapshot_state(priority="urgent"))
    assert "priority" not in body["ticket"]
    assert body["ticket"]["tags"] == ["enterprise", "urgency_time_sensitive", "category_incident"]


@pytest.mark.parametrize("current", [None, "low", "normal", "high"])
def test_priority_is_raised_from_anything_lower(current):
    body = build(decision(), snapshot_state(priority=current))
    assert body["ticket"]["priority"] == "urgent"


def test_the_whole_merged_list_is_sent_everyone_elses_tags_kept_in_their_order():
    state = snapshot_state(tags=("vip", "category_incident", "from_whatsapp"))
    body = build(decision(), state)
    assert body["ticket"]["tags"] == ["vip", "category_incident", "from_whatsapp", "urgency_urgent"]
    assert "additional_tags" not in body["ticket"] and "remove_tags" not in body["ticket"]
    # Update Ticket replaces the list, so the body is only safe with the stamp it was merged on.
    assert (body["ticket"]["safe_update"], body["ticket"]["updated_stamp"]) == (True, "2026-11-27T15:00:00Z")
    assert_valid(body)


def test_tags_are_left_out_when_the_ticket_has_them_all():
    state = snapshot_state(priority="low", tags=("category_incident", "enterprise", "urgency_urgent"))
    body = build(decision(), state, NO_FIELDS)
    assert "tags" not in body["ticket"] and body["ticket"]["priority"] == "urgent"


def test_merged_tags():
    assert merged_tags(["b", "a"], ["c", "a"], ["b"]) == ["a", "c"]
    assert merged_tags([], [], []) == []
    assert merged_tags(["x"], ["y"], ["y"]) == ["x", "y"]  # added wins over removed


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
    assert build(decision(), state, DATE_FIELDS) is None


def test_a_snapshot_without_fields_counts_them_as_different():
    state = snapshot_state(priority="urgent", tags=("urgency_urgent", "category_incident"))
    body = build(decision(), state)
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
    assert build(decision("time_sensitive", priority="high"), state, DATE_FIELDS) is None

    earlier = TicketState.from_api(api_ticket(custom_fields=[{"id": DUE_FIELD, "value": "2026-12-01T15:00:00Z"}]))
    body = build(decision(), earlier)
    assert {"id": DUE_FIELD, "value": "2026-11-27T17:00:00Z"} in body["ticket"]["custom_fields"]
    later = TicketState.from_api(api_ticket(custom_fields=[{"id": DUE_FIELD, "value": "2026-11-27T16:59:00Z"}]))
    assert "custom_fields" not in build(decision(), later)["ticket"]


def test_near_miss_adds_its_tag_and_a_note_but_no_priority_or_fields():
    near_miss = decision(
        "none",
        priority=None,
        tags=("urgency_near_miss",),
        due=None,
        explanation="Possible misspelling of 'urgent': 'urgnet'.",
    )
    body = build(near_miss, snapshot_state())
    assert body == {
        "ticket": {
            "tags": ["enterprise", "urgency_near_miss"],
            "comment": {"body": "Possible misspelling of 'urgent': 'urgnet'.", "public": False},
            "safe_update": True,
            "updated_stamp": "2026-11-27T15:00:00Z",
        }
    }
    assert_valid(body)


def test_none_decision_without_tags_is_a_noop():
    assert build(decision("none", priority=None, due=None), snapshot_state()) is None


def test_without_updated_at_there_is_no_safe_update():
    # Only a dry run plans without a stamp: it has no ticket to read (the worker reads one first).
    body = build(decision(), snapshot_state(updated_at=None))
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
    body = build(decision(category="incident"), state, NO_FIELDS, CATEGORY_TAGS)
    # category_billing is the agent's, not a policy category
    assert body["ticket"]["tags"] == ["enterprise", "category_billing", "urgency_urgent", "category_incident"]
    assert_valid(body)


def test_the_kept_category_removes_the_others_too():
    state = snapshot_state(tags=("category_other", "category_incident"))
    body = build(decision(category="incident"), state, NO_FIELDS, CATEGORY_TAGS)
    assert body["ticket"]["tags"] == ["category_incident", "urgency_urgent"]


def test_a_decision_without_a_category_tag_removes_none():
    state = snapshot_state(tags=("category_other", "category_incident"))
    near_miss = decision("none", priority=None, tags=("urgency_near_miss",), due=None)
    body = build(near_miss, state, NO_FIELDS, CATEGORY_TAGS)
    assert body["ticket"]["tags"] == ["category_other", "category_incident", "urgency_near_miss"]
    assert build(decision("none", priority=None, due=None), state, NO_FIELDS, CATEGORY_TAGS) is None


def test_openapi_helper_rejects_what_zendesk_rejects():
    with pytest.raises(Exception, match="read-only"):
        validate_request(*UPDATE, {"ticket": {"updated_at": "2026-11-27T15:00:00Z"}})
    with pytest.raises(Exception, match="is not one of"):
        validate_request(*UPDATE, {"ticket": {"priority": "critical"}})
    with pytest.raises(Exception, match="date-time"):
        validate_request(*UPDATE, {"ticket": {"updated_stamp": "yesterday"}})
    assert undeclared_properties("PUT", "/api/v2/tickets/update_many", {"ticket": {"additional_tags": ["x"]}}) == []
    # Update Many's keys are no part of Update Ticket: Zendesk would ignore them, the check refuses them.
    assert request_violations("PUT", "/api/v2/tickets/35436", {}, {"ticket": {"additional_tags": ["x"]}}) == [
        "PUT /api/v2/tickets/35436: ticket.additional_tags is not declared by /api/v2/tickets/{ticket_id}"
    ]


def test_public_reply_body_is_one_public_comment_and_its_tag_in_a_safe_update():
    ticket = snapshot_state(tags=("enterprise", "next_business_day"), updated_at="2026-11-28T07:30:05Z")
    body = public_reply_update(
        "We will get back to you on the next business day.", ["next_business_day_replied"], ticket
    )
    assert body == {
        "ticket": {
            "comment": {"body": "We will get back to you on the next business day.", "public": True},
            "tags": ["enterprise", "next_business_day", "next_business_day_replied"],
            "safe_update": True,
            "updated_stamp": "2026-11-28T07:30:05Z",
        }
    }
    assert_valid(body)
    dry_run = public_reply_update("x", ["replied"], replace(ticket, updated_at=None))
    assert "safe_update" not in dry_run["ticket"]


DROPDOWNS = ZendeskConfig(
    urgency_values={"urgent": "esc_p1", "time_sensitive": "esc_p2"},
    category_values={"incident": "esc_incident", "fraud_attack": "esc_fraud"},
)


def test_field_values_come_from_the_configured_mapping():
    body = build(decision(), snapshot_state(), DROPDOWNS)
    fields = {f["id"]: f["value"] for f in body["ticket"]["custom_fields"]}
    assert (fields[URGENCY_FIELD], fields[CATEGORY_FIELD]) == ("esc_p1", "esc_incident")
    # a category the mapping leaves out is written as itself
    other = build(decision(category="account_access"), snapshot_state(), DROPDOWNS)
    assert {"id": CATEGORY_FIELD, "value": "account_access"} in other["ticket"]["custom_fields"]


def test_a_mapped_urgency_field_is_never_lowered_and_a_foreign_value_is_replaced():
    def with_urgency(value):
        fields = [{"id": URGENCY_FIELD, "value": value}]
        return TicketState.from_api(api_ticket(priority="urgent", tags=["esc_p1"], custom_fields=fields))

    time_sensitive = decision("time_sensitive", priority="high")
    assert URGENCY_FIELD not in [
        f["id"] for f in build(time_sensitive, with_urgency("esc_p1"), DROPDOWNS)["ticket"].get("custom_fields", [])
    ]
    raised = build(
        decision(),
        TicketState.from_api(api_ticket(custom_fields=[{"id": URGENCY_FIELD, "value": "esc_p2"}])),
        DROPDOWNS,
    )
    assert {"id": URGENCY_FIELD, "value": "esc_p1"} in raised["ticket"]["custom_fields"]
    foreign = build(time_sensitive, with_urgency("legacy_high"), DROPDOWNS)
    assert {"id": URGENCY_FIELD, "value": "esc_p2"} in foreign["ticket"]["custom_fields"]


def test_a_dropdown_value_shown_in_the_tags_is_swapped_in_the_merged_list():
    """A dropdown's value is also a tag: `tags` and `custom_fields` in one body must agree."""
    state = TicketState.from_api(
        api_ticket(
            priority="high",
            tags=["vip", "esc_p2", "category_incident"],
            custom_fields=[{"id": URGENCY_FIELD, "value": "esc_p2"}, {"id": CATEGORY_FIELD, "value": None}],
        )
    )
    body = build(decision(), state, DROPDOWNS)
    assert {"id": URGENCY_FIELD, "value": "esc_p1"} in body["ticket"]["custom_fields"]
    assert body["ticket"]["tags"] == ["vip", "category_incident", "urgency_urgent", "esc_p1"]
    assert_valid(body)


def test_without_custom_fields_keeps_priority_tags_and_the_note_and_names_the_refused_field():
    body = build(decision(), snapshot_state())
    fallback = without_custom_fields(body, [DUE_FIELD])
    assert "custom_fields" not in fallback["ticket"]
    assert fallback["ticket"]["priority"] == "urgent"
    assert fallback["ticket"]["tags"] == body["ticket"]["tags"]
    assert fallback["ticket"]["updated_stamp"] == body["ticket"]["updated_stamp"]
    note = fallback["ticket"]["comment"]
    assert note["public"] is False
    assert note["body"].startswith(body["ticket"]["comment"]["body"] + "\n\n")
    assert f"Zendesk refused custom field {DUE_FIELD}," in note["body"]
    assert f"({URGENCY_FIELD}, {CATEGORY_FIELD}, {AFTER_HOURS_FIELD}, {DUE_FIELD})" in note["body"]
    assert "custom_fields" in body["ticket"]  # the original is left as it was
    assert_valid(fallback)


def test_without_custom_fields_is_none_when_the_fields_were_all_there_was():
    state = snapshot_state(priority="urgent", tags=("urgency_urgent", "category_incident"))
    assert without_custom_fields(build(decision(), state), [URGENCY_FIELD]) is None


def test_tags_the_decision_answers_are_removed_from_the_merged_list():
    base = decision("none", priority=None, tags=(), due=None, explanation="The missing items arrived.")
    answers = replace(base, removed_tags=("info_missing", "not_on_ticket"))
    body = build(answers, snapshot_state(tags=("enterprise", "info_missing")), NO_FIELDS)
    assert body["ticket"]["tags"] == ["enterprise"]
    assert body["ticket"]["comment"]["body"] == "The missing items arrived."
    assert build(answers, snapshot_state(tags=("enterprise",)), NO_FIELDS) is None  # nothing to remove
