"""app.backtest.assemble and the export's reading of ticket events, in both shapes."""

from app.backtest.assemble import changer
from app.backtest.zendesk_export import field_changes


def test_a_change_reads_in_the_export_shape_where_the_field_is_the_key():
    child = {"id": 5, "via": "Web form", "event_type": "Change", "priority": "urgent", "previous_value": "normal"}
    assert field_changes(child) == [("priority", "normal", "urgent")]


def test_a_change_reads_in_the_audit_shape_with_field_name_and_value():
    child = {
        "id": 5,
        "type": "Change",
        "event_type": "Change",
        "field_name": "priority",
        "value": "high",
        "previous_value": "low",
    }
    assert field_changes(child) == [("priority", "low", "high")]


def test_who_made_a_change():
    roles = {5: "end-user", 9: "agent"}
    assert changer(900001, "Web service", roles, me=900001) == "escalator"
    assert changer(-1, "Web form", roles, me=None) == "rule"  # the system
    assert changer(9, "Rule", roles, me=None) == "rule"  # a trigger inside an agent's update
    assert changer(5, "Web form", roles, me=None) == "end-user"
    assert changer(9, "Web form", roles, me=None) == "agent"
    assert changer(77, "Email", roles, me=None) == "agent"  # unknown: staff
