"""The worker with the real policy engine and config/policy.toml (field ids set for the test)."""
from dataclasses import replace

import pytest

from app.policy import ZendeskFields, decide, load_policy
from tests.zendesk.factories import BASE_URL, api_ticket, event

pytestmark = pytest.mark.redis

TICKET_URL = f"{BASE_URL}/api/v2/tickets/35436"
FIELDS = ZendeskFields(urgency_field_id=101, category_field_id=102, response_due_field_id=103,
                       response_due_field_type="text", after_hours_field_id=104)


@pytest.fixture
def applier(make_applier, known_integration_user):
    made = make_applier(policy=replace(load_policy(), zendesk=FIELDS))
    made.decide = decide
    return made


def comment_event(body: str, **ticket):
    base = event("ticket_comment_added__end_user_urgent")
    return replace(base, ticket={**base.ticket, **ticket}, comment={**base.comment, "body": body})


def test_policy_example_urgent_outage_in_business_hours(applier, api, put_bodies):
    api.get(TICKET_URL, json={"ticket": api_ticket(custom_fields=[], updated_at="2026-11-27T15:00:00Z")})
    api.put(TICKET_URL, json={"ticket": {}})
    assert applier.apply(event("ticket_created__urgent_outage")) == "updated"
    [body] = put_bodies()
    update = body["ticket"]
    assert update["priority"] == "urgent"
    assert update["additional_tags"] == ["urgency_urgent", "category_incident"]
    assert update["custom_fields"] == [{"id": 101, "value": "urgent"}, {"id": 102, "value": "incident"},
                                       {"id": 104, "value": False}, {"id": 103, "value": "2026-11-27T17:00:00Z"}]
    assert update["comment"]["public"] is False
    assert 'found "URGENT" in the subject' in update["comment"]["body"]
    assert update["updated_stamp"] == "2026-11-27T15:00:00Z"


def test_negated_comment_changes_nothing(applier, api):
    assert applier.apply(comment_event("This is not urgent, just following up.")) == "noop"
    assert len(api.calls) == 0


def test_near_miss_gets_its_tag_and_a_note_only(applier, api, put_bodies):
    api.put(TICKET_URL, json={"ticket": {}})
    assert applier.apply(comment_event("Any news? This is urgnet for us.")) == "updated"
    [body] = put_bodies()
    assert set(body["ticket"]) == {"additional_tags", "comment", "safe_update", "updated_stamp"}
    assert body["ticket"]["additional_tags"] == ["urgency_near_miss"]


def test_time_sensitive_comment_keeps_an_urgent_priority_and_the_known_category(applier, api, put_bodies):
    tags = ["category_account_access", "urgency_urgent"]
    api.get(TICKET_URL, json={"ticket": api_ticket(
        priority="urgent", tags=tags,
        custom_fields=[{"id": 101, "value": "urgent"}, {"id": 102, "value": "account_access"},
                       {"id": 103, "value": "2026-11-27T17:00:00Z"}, {"id": 104, "value": False}])})
    api.put(TICKET_URL, json={"ticket": {}})

    ticket_event = comment_event("Also time sensitive: the launch is Friday.", priority="urgent", tags=tags)
    assert applier.apply(ticket_event) == "updated"

    [body] = put_bodies()
    assert body["ticket"]["additional_tags"] == ["urgency_time_sensitive"]
    assert "priority" not in body["ticket"] and "custom_fields" not in body["ticket"]
    assert "Priority kept at urgent" in body["ticket"]["comment"]["body"]
    assert "account_access" in body["ticket"]["comment"]["body"]
