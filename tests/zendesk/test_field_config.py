"""The [zendesk] keys of config/policy.toml this adapter reads: due field type and field values."""

import copy
import tomllib

import pytest

from app.policy import PolicyError, load_policy
from app.policy.config import DEFAULT_POLICY_PATH, policy_from_dict


@pytest.fixture
def raw() -> dict:
    return copy.deepcopy(tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8")))


def test_the_shipped_due_field_is_text_and_values_are_the_names():
    zendesk = load_policy().zendesk
    assert zendesk.response_due_field_type == "text"
    assert zendesk.urgency_values == {"urgent": "urgent", "time_sensitive": "time_sensitive"}
    assert zendesk.category_values == {name: name for name in load_policy().categories.names}


def test_values_map_to_dropdown_options_and_may_be_left_out(raw):
    raw["zendesk"]["urgency_values"] = {"urgent": "p1"}
    del raw["zendesk"]["category_values"]
    zendesk = policy_from_dict(raw).zendesk
    assert zendesk.urgency_values == {"urgent": "p1"}  # time_sensitive is written as itself
    assert zendesk.category_values == {}


@pytest.mark.parametrize(
    "key, value, message",
    [
        (
            "urgency_values",
            {"critical": "p0"},
            r"\[zendesk.urgency_values\] has 'critical'; known: urgent, time_sensitive",
        ),
        ("urgency_values", {"urgent": ""}, r"\[zendesk.urgency_values\] urgent must be a non-empty string"),
        ("category_values", {"billing": "x"}, r"\[zendesk.category_values\] has 'billing'"),
        ("category_values", {"other": 3}, r"\[zendesk.category_values\] other must be a non-empty string"),
        ("category_values", "incident", r"\[zendesk.category_values\] must be a table"),
    ],
)
def test_bad_values_are_refused_with_the_key_named(raw, key, value, message):
    raw["zendesk"][key] = value
    with pytest.raises(PolicyError, match=message):
        policy_from_dict(raw)
