"""`escalator classify`: JSON Lines in, one JSON line out per input line, in order."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.cli.classify import classify
from app.policy.config import DEFAULT_POLICY_PATH

GOOD = {
    "id": "t-1",
    "event": "created",
    "received_at": "2026-11-27T15:00:00Z",
    "subject": "URGENT: API returning 503",
    "body": "since 9:40 all calls fail",
}


def run(lines, *args, env=None):
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    result = CliRunner().invoke(classify, list(args), input=text, env=env)
    return result, [json.loads(line) for line in result.output.splitlines()]


def test_good_line_gives_the_decision():
    result, [answer] = run([GOOD])
    assert result.exit_code == 0
    assert answer["id"] == "t-1"
    assert answer["urgency"] == "urgent" and answer["category"] == "incident"
    assert answer["near_miss"] is False and answer["after_hours"] is False and answer["on_call"] is False
    assert answer["priority"] == "urgent"
    # "since 9:40" is the start time; no steps to reproduce (POLICY.md section 6)
    assert answer["tags"] == ["urgency_urgent", "category_incident", "info_missing", "missing_steps_to_reproduce"]
    assert answer["missing_info"] == ["steps_to_reproduce"]
    assert answer["deadline"] is None and answer["short_notice"] is False
    assert answer["response_due_at"] == "2026-11-27T17:00:00Z"
    assert "URGENT" in answer["explanation"]
    assert {"field": "subject", "offset": 0, "text": "URGENT"}.items() <= answer["evidence"][0].items()


def test_output_keys_are_the_contract():
    _, [answer] = run([GOOD])
    assert set(answer) == {
        "id",
        "urgency",
        "near_miss",
        "category",
        "after_hours",
        "on_call",
        "priority",
        "tags",
        "response_due_at",
        "deadline",
        "short_notice",
        "missing_info",
        "removed_tags",
        "explanation",
        "evidence",
    }


def test_id_is_optional_and_echoed_as_given():
    _, answers = run([{k: v for k, v in GOOD.items() if k != "id"}, dict(GOOD, id=42)])
    assert "id" not in answers[0]
    assert answers[1]["id"] == 42


def test_none_result_has_null_priority_and_due():
    line = {
        "event": "comment",
        "received_at": "2026-11-30T16:00:00Z",
        "body": "This is not urgent.",
        "current_priority": "high",
        "known_category": "incident",
    }
    _, [answer] = run([line])
    assert answer["urgency"] == "none" and answer["priority"] is None and answer["response_due_at"] is None
    assert answer["category"] == "incident" and answer["tags"] == []


def test_html_and_unknown_keys():
    line = dict(GOOD, subject="hi", body="<p><b>urgent</b></p>", body_is_html=True, extra={"x": 1})
    result, [answer] = run([line])
    assert result.exit_code == 0 and answer["urgency"] == "urgent"


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", "line 1: not valid JSON"),
        ("[1, 2]", "line 1: expected a JSON object, got list"),
        ("", "line 1: blank line"),
        ({"id": 7, "received_at": "2026-11-27T15:00:00Z", "body": "x"}, "line 1: event: missing"),
        (
            {"id": 7, "event": "updated", "received_at": "2026-11-27T15:00:00Z", "body": "x"},
            "line 1: event: 'updated' is not one of created, comment",
        ),
        ({"id": 7, "event": "created", "body": "x"}, "line 1: received_at: missing"),
        (
            {"id": 7, "event": "created", "received_at": "2026-11-27T15:00:00", "body": "x"},
            "is not an ISO 8601 time with an offset",
        ),
        ({"id": 7, "event": "created", "received_at": "yesterday", "body": "x"}, "is not an ISO 8601 time"),
        (
            {"id": 7, "event": "created", "received_at": 1700000000, "body": "x"},
            "received_at: must be a string, got number",
        ),
        ({"id": 7, "event": "created", "received_at": "2026-11-27T15:00:00Z"}, "line 1: body: missing"),
        (
            {"id": 7, "event": "created", "received_at": "2026-11-27T15:00:00Z", "body": 5},
            "body: must be a string, got number",
        ),
        (
            {"id": 7, "event": "created", "received_at": "2026-11-27T15:00:00Z", "body": "x", "subject": None},
            "subject: must be a string, got null",
        ),
        (
            {"id": 7, "event": "created", "received_at": "2026-11-27T15:00:00Z", "body": "x", "body_is_html": "yes"},
            "body_is_html: must be true or false",
        ),
        (
            {"id": 7, "event": "created", "received_at": "2026-11-27T15:00:00Z", "body": "x", "current_priority": "p1"},
            "current_priority: 'p1' is not one of low, normal, high, urgent",
        ),
        (
            {
                "id": 7,
                "event": "comment",
                "received_at": "2026-11-27T15:00:00Z",
                "body": "x",
                "known_category": "billing",
            },
            "known_category: 'billing' is not one of",
        ),
        (
            {"id": [1], "event": "created", "received_at": "2026-11-27T15:00:00Z", "body": "x"},
            "id: must be a string or a number",
        ),
    ],
)
def test_bad_line_gets_a_specific_error_and_exit_1(line, message):
    result, [answer] = run([line])
    assert result.exit_code == 1
    assert set(answer) <= {"id", "error"} and message in answer["error"]
    if isinstance(line, dict) and isinstance(line.get("id"), int):
        assert answer["id"] == 7


def test_bad_lines_do_not_stop_the_others_and_order_is_kept():
    lines = [dict(GOOD, id=1), "oops", dict(GOOD, id=3, subject="hello", body="thanks"), "", dict(GOOD, id=5)]
    result, answers = run(lines)
    assert result.exit_code == 1
    assert [a.get("id") for a in answers] == [1, None, 3, None, 5]
    assert "error" in answers[1] and "line 2" in answers[1]["error"]
    assert "line 4: blank line" in answers[3]["error"]
    assert answers[2]["urgency"] == "none" and answers[4]["urgency"] == "urgent"


def test_reads_a_file_argument(tmp_path):
    path = tmp_path / "tickets.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(dict(GOOD, id="t-2")) + "\n", encoding="utf-8")
    result = CliRunner().invoke(classify, [str(path)])
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.output.splitlines()] == ["t-1", "t-2"]


def test_policy_option_and_environment(tmp_path):
    custom = tmp_path / "policy.toml"
    custom.write_text(
        DEFAULT_POLICY_PATH.read_text(encoding="utf-8").replace('urgent = "urgency_urgent"', 'urgent = "sev1"'),
        encoding="utf-8",
    )
    _, [answer] = run([GOOD], "--policy", str(custom))
    assert answer["tags"][0] == "sev1"
    _, [answer] = run([GOOD], env={"ESCALATOR_POLICY": str(custom)})
    assert answer["tags"][0] == "sev1"


def test_bad_policy_file_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[hours]\n", encoding="utf-8")
    result = CliRunner().invoke(classify, ["--policy", str(bad)], input="")
    assert result.exit_code == 2 and "[terms] is missing" in result.output


def test_empty_input_is_success():
    result = CliRunner().invoke(classify, [], input="")
    assert result.exit_code == 0 and result.output == ""


def test_help_documents_keys_exit_codes_and_an_example():
    result = CliRunner().invoke(classify, ["--help"])
    assert result.exit_code == 0
    for word in [
        "received_at",
        "body_is_html",
        "current_priority",
        "known_category",
        "near_miss",
        "on_call",
        "response_due_at",
        "evidence",
        "Exit codes",
        "Example",
        "--policy",
        "ESCALATOR_POLICY",
    ]:
        assert word in result.output


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            b'{"id": 1, "body": "\xff urgent", "event": "created", "received_at": "2026-11-27T15:00:00Z"}',
            "not UTF-8 text",
        ),
        (
            b'{"id": 1, "body": "\\ud800 urgent", "event": "created", "received_at": "2026-11-27T15:00:00Z"}',
            "unpaired surrogate",
        ),
        (b'{"id": NaN, "body": "x", "event": "created", "received_at": "2026-11-27T15:00:00Z"}', "NaN"),
        (b'{"id": 1e400, "body": "x", "event": "created", "received_at": "2026-11-27T15:00:00Z"}', "too large"),
        (
            b'{"id": 1, "body": "urgent", "event": "created", "received_at": "9999-12-31T23:30:00Z"}',
            "end of the calendar",
        ),
    ],
)
def test_hostile_lines_get_an_error_line_and_the_run_goes_on(raw, message):
    good = b'{"id": 2, "body": "urgent", "event": "created", "received_at": "2026-11-27T15:00:00Z"}'
    result = CliRunner().invoke(classify, [], input=raw + b"\n" + good + b"\n")
    first, second = [json.loads(line) for line in result.output.splitlines()]
    assert message in first["error"]
    assert second["urgency"] == "urgent"
    assert result.exit_code == 1
