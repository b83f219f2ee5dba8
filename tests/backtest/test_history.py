"""app.backtest.history: the tickets file format, read strictly, written back the same."""

import json

import pytest

from app.backtest.history import BY_AGENT, TAGS, HistoryError, parse_history, read_histories, write_histories

TICKET = {
    "id": 7,
    "subject": "URGENT: API returning errors",
    "created_at": "2026-10-05T14:00:00Z",
    "priority": "normal",
    "tags": ["enterprise"],
    "comments": [
        {
            "id": 70,
            "author_id": 5,
            "author_role": "end-user",
            "public": True,
            "body": "Every call fails.",
            "html_body": "",
            "created_at": "2026-10-05T14:00:00Z",
        },
        {"id": 71, "author_id": 9, "author_role": "agent", "body": "Looking.", "created_at": "2026-10-05T14:10:00Z"},
    ],
    "changes": [
        {"at": "2026-10-05T14:20:00Z", "by": "agent", "field": "priority", "from": "normal", "to": "urgent"},
        {"at": "2026-10-05T14:21:00Z", "by": "rule", "field": "tags", "added": ["vip"], "removed": []},
    ],
}


def line(**changes) -> str:
    return json.dumps({**TICKET, **changes})


def test_a_ticket_line_is_read_with_its_description_comments_and_changes():
    history = parse_history(line(), 1)

    assert (history.id, history.subject, history.priority, history.tags) == (
        7,
        "URGENT: API returning errors",
        "normal",
        ("enterprise",),
    )
    assert history.description == "Every call fails."
    assert [c.by_end_user for c in history.comments] == [True, False]
    assert history.comments[1].public is True  # public is optional, default true
    assert history.changes[0].value == "urgent" and history.changes[0].by == BY_AGENT
    assert history.changes[1].field == TAGS and history.changes[1].added == ("vip",)


def test_writing_and_reading_back_gives_the_same_histories(tmp_path):
    original = parse_history(line(), 1)
    path = tmp_path / "tickets.jsonl"

    write_histories(path, [original])

    assert read_histories(path) == [original]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "7"}, "line 1: id: must be a positive whole number, got '7'"),
        ({"created_at": "2026-10-05 14:00"}, "line 1: created_at: '2026-10-05 14:00' is not an ISO 8601 time"),
        ({"priority": "critical"}, "line 1: priority: 'critical' is not one of low, normal, high, urgent"),
        ({"comments": []}, "line 1: comments: must hold at least the description"),
        (
            {"comments": [{**TICKET["comments"][0], "author_role": "customer"}]},
            "line 1: comments[0].author_role: 'customer' is not one of end-user, agent, admin",
        ),
        (
            {"changes": [{"at": "2026-10-05T14:20:00Z", "by": "bot", "field": "priority"}]},
            "line 1: changes[0].by: 'bot' is not one of agent, rule, end-user, escalator",
        ),
        ({"tags": "vip"}, "line 1: tags: must be a list of strings"),
    ],
)
def test_a_bad_line_is_refused_naming_the_line_and_the_key(changes, message):
    with pytest.raises(HistoryError) as refused:
        parse_history(line(**changes), 1)
    assert str(refused.value).startswith(message)


def test_a_file_with_bad_lines_lists_them_all_and_keeps_nothing(tmp_path):
    path = tmp_path / "tickets.jsonl"
    path.write_text(line() + "\n" + "not json\n" + "\n" + line() + "\n", encoding="utf-8")

    with pytest.raises(HistoryError) as refused:
        read_histories(path)

    problems = str(refused.value).splitlines()[1:]
    assert problems == [
        "  line 2: not valid JSON: Expecting value at column 1",
        "  line 3: blank line; expected a JSON object",
        "  line 4: id: ticket 7 appears twice",
    ]


def test_the_shipped_sample_is_a_valid_tickets_file(sample):
    histories = read_histories(sample)
    assert len(histories) == 39
    assert len({h.id for h in histories}) == 39
