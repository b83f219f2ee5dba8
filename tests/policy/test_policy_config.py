"""The policy file: every default in one place, validated with the bad key named."""

from __future__ import annotations

import copy
from datetime import date, time

import pytest

from app.policy import Policy, PolicyError, ZendeskFields, load_policy
from app.policy.config import DEFAULT_POLICY_PATH, policy_from_dict


def test_default_file_is_found_relative_to_the_package():
    assert DEFAULT_POLICY_PATH.name == "policy.toml" and DEFAULT_POLICY_PATH.parent.name == "config"
    assert isinstance(load_policy(), Policy)


def test_defaults_match_policy_md(policy):
    assert policy.terms.urgent == "urgent"
    assert set(policy.terms.dashes) == {"-", "\u2010", "\u2011", "\u2013", "\u2014"}
    # POLICY.md section 7 adds "cannot" and the forms written without an apostrophe
    assert policy.negation.words == {
        "not",
        "no",
        "never",
        "nothing",
        "without",
        "cannot",
        *("isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt", "wont", "cant", "shouldnt"),
    }
    assert policy.negation.phrases == (("can", "not"),)
    assert policy.negation.window == 3
    assert str(policy.hours.time_zone) == "America/New_York"
    assert policy.hours.days == {0, 1, 2, 3, 4}
    assert (policy.hours.open, policy.hours.close) == (time(8), time(20))
    assert policy.hours.holidays == frozenset()
    assert policy.targets.urgent_elapsed_minutes == 120
    assert policy.targets.time_sensitive_business_hours == 4
    assert policy.categories.order == ("fraud_attack", "incident", "account_access", "workflow_update")
    assert policy.categories.fallback == "other"
    assert policy.after_hours.page_categories == {"incident", "fraud_attack", "other"}
    assert policy.after_hours.public_reply.enabled is False
    assert "##- Please type your reply above this line -##" in policy.quotes.cut_markers


def test_tag_names(policy):
    tags = policy.tags
    assert (tags.urgent, tags.time_sensitive, tags.near_miss) == (
        "urgency_urgent",
        "urgency_time_sensitive",
        "urgency_near_miss",
    )
    assert (tags.after_hours, tags.on_call_paged, tags.next_business_day) == (
        "after_hours",
        "on_call_paged",
        "next_business_day",
    )
    assert tags.category("incident") == "category_incident"


def test_zendesk_fields_for_the_adapter(policy):
    assert policy.zendesk == ZendeskFields(
        0,
        0,
        0,
        "text",
        0,
        urgency_values={"urgent": "urgent", "time_sensitive": "time_sensitive"},
        category_values={name: name for name in policy.categories.names},
    )
    with pytest.raises(AttributeError):
        policy.zendesk.urgency_field_id = 5  # frozen


def test_zendesk_ids_are_read_as_ints(policy_with):
    custom = policy_with(zendesk={"urgency_field_id": 360001, "response_due_field_type": "text"})
    assert custom.zendesk.urgency_field_id == 360001
    assert custom.zendesk.response_due_field_type == "text"


def test_holidays_are_dates(policy_with):
    assert policy_with(hours={"holidays": ["2026-12-25"]}).hours.holidays == {date(2026, 12, 25)}


@pytest.mark.parametrize(
    "section, key, value, message",
    [
        ("hours", "open", "8am", r"\[hours.open\] must be 'HH:MM'"),
        ("hours", "close", "07:00", r"\[hours.close\] must be after open"),
        ("hours", "time_zone", "Mars/Olympus", r"\[hours.time_zone\] is not a known IANA time zone"),
        ("hours", "holidays", ["25/12/2026"], r"\[hours.holidays\] has '25/12/2026'"),
        ("hours", "days", ["monday"], r"\[hours.days\] has 'monday'"),
        ("negation", "window", 0, r"\[negation.window\] must be an integer >= 1"),
        ("targets", "urgent_elapsed_minutes", "120", r"\[targets.urgent_elapsed_minutes\] must be an integer"),
        ("zendesk", "urgency_field_id", "abc", r"\[zendesk.urgency_field_id\] must be an integer"),
        (
            "zendesk",
            "response_due_field_type",
            "datetime",
            r"\[zendesk.response_due_field_type\] must be 'date' or 'text'",
        ),
        ("categories", "order", ["fraud_attack", "incident"], r"\[categories.order\] must list every category"),
        (
            "categories",
            "order",
            ["fraud", "incident", "account_access", "workflow_update"],
            r"unknown category 'fraud'",
        ),
        ("tags", "urgent", "", r"\[tags.urgent\] must be a non-empty string"),
        ("tags", "sla_at_risk", "", r"\[tags.sla_at_risk\] must be a non-empty string"),
        (
            "after_hours",
            "page_severity_fallback",
            "high",
            r"\[after_hours.page_severity_fallback\] must be one of critical, error, warning, info, got 'high'",
        ),
        (
            "after_hours",
            "page_severity",
            {"incident": "sev1"},
            r"\[after_hours.page_severity.incident\] must be one of critical, error, warning, info",
        ),
        (
            "after_hours",
            "page_severity",
            {"outage": "critical"},
            r"\[after_hours.page_severity.outage\] is not a category; known: fraud_attack, incident",
        ),
        ("after_hours", "page_severity", "critical", r"\[after_hours.page_severity\] must be a table"),
    ],
)
def test_bad_values_are_refused_with_the_key_named(raw_policy, section, key, value, message):
    raw = copy.deepcopy(raw_policy)
    raw[section][key] = value
    with pytest.raises(PolicyError, match=message):
        policy_from_dict(raw)


def test_on_call_facts_are_in_the_policy_file(policy, policy_with):
    assert policy.tags.sla_at_risk == "sla_at_risk"
    severity = policy.after_hours.page_severity
    assert severity.by_category == {"incident": "critical", "fraud_attack": "critical", "other": "error"}
    assert severity.fallback == "error"
    assert [severity.of(name) for name in ("incident", "fraud_attack", "other", "account_access")] == [
        "critical",
        "critical",
        "error",
        "error",  # a paged category the table does not name: the fallback
    ]
    custom = policy_with(after_hours={"page_severity": {"other": "warning"}, "page_severity_fallback": "info"})
    assert (custom.after_hours.page_severity.of("other"), custom.after_hours.page_severity.of("incident")) == (
        "warning",
        "info",
    )


def test_missing_key_is_named(raw_policy):
    raw = copy.deepcopy(raw_policy)
    del raw["tags"]["near_miss"]
    with pytest.raises(PolicyError, match=r"\[tags.near_miss\] is missing"):
        policy_from_dict(raw)


def test_missing_section_is_named(raw_policy):
    raw = copy.deepcopy(raw_policy)
    del raw["zendesk"]
    with pytest.raises(PolicyError, match=r"\[zendesk\] is missing"):
        policy_from_dict(raw)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[hours\nopen = 1")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(bad)


def test_every_line_of_the_file_is_documented():
    """Each key line carries a comment, or a comment block stands right above it."""
    lines = DEFAULT_POLICY_PATH.read_text(encoding="utf-8").splitlines()
    undocumented = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        is_key = "=" in stripped and not stripped.startswith(("#", '"', "[")) and stripped[0].isalpha()
        if not is_key or "#" in line:
            continue
        above = lines[number - 1].strip() if number else ""
        if not above.startswith("#") and not above.endswith(","):
            undocumented.append(stripped)
    assert undocumented == []
