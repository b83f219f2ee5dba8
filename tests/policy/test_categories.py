"""POLICY.md section 2: categories from configured keywords, most specific phrase, tie order."""

from __future__ import annotations

import pytest

from app.policy.categories import categorize
from app.policy.fields import read_field


def category_of(text, policy):
    return categorize([read_field("body", text)], policy)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("hundreds of fraudulent applications approved", "fraud_attack"),
        ("we are under attack", "fraud_attack"),
        ("a fraudster got through", "fraud_attack"),
        ("lots of bot traffic since midnight", "fraud_attack"),
        ("synthetic identity ring", "fraud_attack"),
        ("account takeover wave", "fraud_attack"),
        ("applications with stolen identities", "fraud_attack"),
        ("the API is down", "incident"),
        ("dashboard unavailable", "incident"),
        ("webhooks not responding", "incident"),
        ("API returning 503", "incident"),
        ("getting 500 from /v1/evaluations", "incident"),
        ("502 Bad Gateway", "incident"),
        ("we get 504 on every call", "incident"),
        ("lots of errors", "incident"),
        ("requests timing out", "incident"),
        ("SDK stopped working", "incident"),
        ("dashboard not loading", "incident"),
        ("a service disruption at the data vendor", "incident"),
        ("performance degraded", "incident"),
        ("major outage", "incident"),
        ("I am locked out", "account_access"),
        ("password reset email never arrives", "account_access"),
        ("the reset email is missing", "account_access"),
        ("I can't log in", "account_access"),
        ("I can\u2019t log in", "account_access"),
        ("we cannot log in", "account_access"),
        ("unable to log in since morning", "account_access"),
        ("2FA codes fail", "account_access"),
        ("MFA prompt loops", "account_access"),
        ("SSO broken", "account_access"),
        ("update our workflow", "workflow_update"),
        ("change the journey", "workflow_update"),
        ("threshold change", "workflow_update"),
        ("a new outcome rule", "workflow_update"),
        ("add a new tag", "workflow_update"),
        ("small rule change", "workflow_update"),
    ],
)
def test_each_keyword_names_its_category(text, expected, policy):
    assert category_of(text, policy).category == expected


@pytest.mark.parametrize(
    "text",
    [
        "we paid $500",
        "1500 applications",
        "version 503.2",
        "5,030 users",
        "50% of 500%",
        "order #5031",
        "downtown office",
        "a dashboard question",
        "error",
        "terrors",
        "ssologin",
        "fraudulently-ish",
    ],
)
def test_keywords_need_whole_words_and_standalone_numbers(text, policy):
    assert category_of(text, policy).category is None


def test_most_specific_phrase_wins(policy):
    # "locked out" (two words) beats "down" (one)
    assert category_of("everything is down and we are locked out", policy).category == "account_access"
    # "service disruption" beats "fraud"
    assert category_of("fraud checks hit a service disruption", policy).category == "incident"
    # "password reset" beats "threshold"
    assert category_of("threshold for the password reset", policy).category == "account_access"


def test_tie_goes_by_configured_order(policy):
    # one word each: fraud_attack comes first
    assert category_of("outage or attack?", policy).category == "fraud_attack"
    # a longer single word does not beat the order: "threshold" (9 letters) vs "fraud" (5)
    assert category_of("fraud attack: please raise our threshold now", policy).category == "fraud_attack"
    assert category_of("journey degraded", policy).category == "incident"
    assert category_of("sso down", policy).category == "incident"
    assert category_of("mfa fails with 500", policy).category == "incident"
    assert category_of("workflow sso", policy).category == "account_access"


def test_evidence_lists_the_deciding_word_first(policy):
    match = category_of("dashboard down, getting errors and 503s, a service disruption since 9am", policy)
    assert match.category == "incident"
    assert match.evidence[0].text == "service disruption"
    assert {e.text for e in match.evidence} >= {"service disruption", "down", "errors"}
    assert all(e.kind == "category" and e.label == "incident" for e in match.evidence)


def test_phrase_matches_across_a_line_break(policy):
    assert category_of("we are locked\nout", policy).category == "account_access"


def test_keywords_come_from_config(policy_with, raw_policy):
    custom = policy_with(categories={"incident": ["kaput"]})
    assert category_of("the API is kaput", custom).category == "incident"
    assert category_of("the API is down", custom).category is None
