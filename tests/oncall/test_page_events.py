import json
from datetime import UTC, datetime

import pytest

from app.oncall.page_events import (
    ELLIPSIS,
    PageDetails,
    acknowledge_event,
    agent_ticket_url,
    cut,
    dedup_key,
    resolve_event,
    safe_text,
    severity_for,
    summary,
    trigger_event,
)
from app.policy import load_policy
from app.policy.config import PageSeverity

ZENDESK = "https://acme.zendesk.com"
SEVERITIES = load_policy().after_hours.page_severity  # config/policy.toml's
DUE = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
EVENT_TIME = datetime(2026, 11, 28, 7, 30, tzinfo=UTC)


def fraud(**changes) -> PageDetails:
    values = {
        "ticket_id": 35436,
        "category": "fraud_attack",
        "subject": "Urgent - fraud attack",
        "urgency_words": ("Urgent",),
        "category_words": ("fraud", "fraudulent"),
        "response_due_at": DUE,
        "event_time": EVENT_TIME,
    }
    values.update(changes)
    return PageDetails(**values)


def test_the_trigger_body_is_exactly_what_pagerduty_documents():
    assert trigger_event(fraud(), ZENDESK, SEVERITIES) == {
        "event_action": "trigger",
        "dedup_key": "escalator/acme.zendesk.com/ticket/35436",
        "payload": {
            "summary": "Ticket #35436 (fraud_attack, urgent after hours): Urgent - fraud attack",
            "source": "acme.zendesk.com",
            "severity": "critical",
            "timestamp": "2026-11-28T07:30:00Z",
            "component": "zendesk",
            "group": "support",
            "class": "fraud_attack",
            "custom_details": {
                "ticket_id": 35436,
                "ticket_url": "https://acme.zendesk.com/agent/tickets/35436",
                "category": "fraud_attack",
                "urgency": "urgent",
                "after_hours": True,
                "urgency_words": ["Urgent"],
                "category_words": ["fraud", "fraudulent"],
                "response_due_at": "2026-11-28T09:30:00Z",
            },
        },
        "links": [{"href": "https://acme.zendesk.com/agent/tickets/35436", "text": "Zendesk ticket #35436"}],
        "client": "escalator",
    }


def test_missing_information_is_listed_once_the_intake_names_it():
    event = trigger_event(fraud(missing_information=("start time", "example applications")), ZENDESK, SEVERITIES)
    assert event["payload"]["custom_details"]["missing_information"] == ["start time", "example applications"]
    assert "missing_information" not in trigger_event(fraud(), ZENDESK, SEVERITIES)["payload"]["custom_details"]


def test_acknowledge_and_resolve_carry_only_the_key_and_the_action():
    assert acknowledge_event(ZENDESK, 35436) == {
        "event_action": "acknowledge",
        "dedup_key": "escalator/acme.zendesk.com/ticket/35436",
    }
    assert resolve_event(ZENDESK, 35436) == {
        "event_action": "resolve",
        "dedup_key": "escalator/acme.zendesk.com/ticket/35436",
    }


def test_one_ticket_one_key_whatever_the_page_says():
    first = trigger_event(fraud(), ZENDESK, SEVERITIES)["dedup_key"]
    watchdog = fraud(subject="other words", reason="first response at risk")
    later = trigger_event(watchdog, ZENDESK, SEVERITIES)["dedup_key"]
    assert first == later == dedup_key(ZENDESK, 35436)
    assert dedup_key(ZENDESK, 35437) != first
    assert dedup_key("https://other.zendesk.com", 35436) != first


def test_the_dedup_key_never_exceeds_255_characters_and_stays_distinct():
    long_host = "https://" + "a" * 250 + ".example.com"
    one, two = dedup_key(long_host, 1), dedup_key(long_host, 2)
    assert len(one) == len(two) == 255
    assert one != two and one.endswith(one.rsplit("/", 1)[1]) and "/ticket/1/" in one


def test_severity_follows_the_category_as_the_policy_file_says():
    assert severity_for("incident", SEVERITIES) == "critical"
    assert severity_for("fraud_attack", SEVERITIES) == "critical"
    assert severity_for("other", SEVERITIES) == "error"
    assert severity_for("account_access", SEVERITIES) == "error"  # a policy that pages more categories
    assert trigger_event(fraud(category="other"), ZENDESK, SEVERITIES)["payload"]["severity"] == "error"
    louder = PageSeverity({"incident": "critical"}, fallback="warning")
    assert trigger_event(fraud(category="other"), ZENDESK, louder)["payload"]["severity"] == "warning"
    with pytest.raises(ValueError, match="loud"):
        severity_for("incident", PageSeverity({"incident": "loud"}, fallback="error"))


def test_a_long_subject_is_cut_and_the_summary_fits_pagerduty():
    text = summary(fraud(subject="word " * 1000))
    assert len(text) <= 1024
    assert text.endswith(ELLIPSIS)
    assert len(text.split(": ", 1)[1]) <= 200


def test_the_summary_has_no_control_or_invisible_characters():
    subject = "URGENT:\r\n fraud\u200b at\u202etack\x00 \t now"
    assert (
        summary(fraud(subject=subject)) == "Ticket #35436 (fraud_attack, urgent after hours): URGENT: fraud attack now"
    )


def test_a_lone_surrogate_cannot_break_the_json_body():
    event = trigger_event(fraud(subject="fraud \ud800 attack"), ZENDESK, SEVERITIES)
    json.dumps(event, ensure_ascii=False).encode("utf-8")
    assert event["payload"]["summary"].endswith("fraud attack")


def test_an_empty_subject_leaves_the_head():
    assert summary(fraud(subject="  ")) == "Ticket #35436 (fraud_attack, urgent after hours)"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("one two three four", 16, "one two three" + ELLIPSIS),  # at the word end near the limit
        ("one two three four", 12, "one two thr" + ELLIPSIS),  # a word end far back is not used
        ("abcdefghijklmnop", 8, "abcdefg" + ELLIPSIS),
    ],
)
def test_cut(text, limit, expected):
    assert cut(text, limit) == expected
    assert len(cut(text, limit)) <= limit


def test_safe_text_cuts_too():
    assert safe_text("a  b\n\nc", 100) == "a b c"
    assert len(safe_text("x" * 500, 80)) == 80


def test_agent_url_and_source_without_a_zendesk_account():
    assert agent_ticket_url("https://acme.zendesk.com/", 7) == "https://acme.zendesk.com/agent/tickets/7"
    assert agent_ticket_url(None, 7) is None
    event = trigger_event(fraud(), None, SEVERITIES)
    assert event["payload"]["source"] == "escalator"
    assert event["dedup_key"] == "escalator/escalator/ticket/35436"
    assert "links" not in event


def test_a_stub_zendesk_gives_its_own_host_and_link():
    event = trigger_event(fraud(), "http://127.0.0.1:8123", SEVERITIES)
    assert event["payload"]["source"] == "127.0.0.1:8123"
    assert event["links"][0]["href"] == "http://127.0.0.1:8123/agent/tickets/35436"
