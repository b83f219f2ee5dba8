"""The comparison on the shipped sample (app/samples/backtest_tickets.jsonl), with exact counts.

Each ticket of the sample is there for one case (docs/backtest.md, "The sample"); the numbers
below were worked out by hand from those cases and checked against the replay.
"""

import json
from datetime import date

import pytest
from click.testing import CliRunner

from app.backtest.history import read_histories
from app.backtest.run import Options, run_backtest
from app.backtest.run_dir import DECISIONS, REPLAY, STATE
from app.cli import main

TEAM_ONLY_TICKETS = [2011, 2012, 2013, 2014, 2015, 2016, 2035]
POLICY_ONLY_TICKETS = [2006, 2007, 2008, 2009, 2010, 2023, 2030, 2031, 2033, 2038]
PAGED_TICKETS = [2002, 2007, 2008, 2022, 2032, 2036, 2037]


@pytest.fixture
def outcome(tmp_path, sample, policy, progress):
    return run_backtest(Options(out=tmp_path, policy=policy, mode="event", input_path=sample), progress)


def test_the_sample_groups_tickets_by_who_escalated_them(outcome):
    f = outcome.findings
    assert f.groups == {"both": 12, "policy_only": 10, "team_only": 7, "neither": 10}
    assert sorted(t.ticket_id for t in f.group("team_only")) == TEAM_ONLY_TICKETS
    assert sorted(t.ticket_id for t in f.group("policy_only")) == POLICY_ONLY_TICKETS
    assert {(team, level): n for (team, level), n in f.matrix.items() if n} == {
        ("none", "none"): 10,
        ("none", "time_sensitive"): 5,
        ("none", "urgent"): 5,
        ("high", "none"): 3,
        ("high", "time_sensitive"): 1,
        ("high", "urgent"): 1,
        ("urgent", "none"): 4,
        ("urgent", "time_sensitive"): 1,
        ("urgent", "urgent"): 9,
    }
    assert f.median_lead_minutes == 35.0


def test_the_sample_shows_the_words_the_policy_missed_and_who_raised_those_tickets(outcome):
    missed = {t.ticket_id: t for t in outcome.findings.group("team_only")}
    assert {i: sorted({w["text"] for w in t.missed_words}) for i, t in missed.items()} == {
        2011: ["urgnet"],  # a misspelling: a near miss
        2012: ["urgent"],  # "Non-urgent ... not urgent": negated (a keyword trigger raised it)
        2013: [],  # urgency only in agent comments and an internal note
        2014: [],  # urgency only in quoted text
        2015: ["urgently"],  # a derived form: a near miss
        2016: [],  # "ASAP", no term at all
        2035: ["urgnt"],
    }
    assert {i: (t.team.priority, t.team.by) for i, t in missed.items() if t.team} == {
        2011: ("urgent", "agent"),
        2012: ("urgent", "rule"),
        2013: ("urgent", "agent"),
        2014: ("high", "agent"),
        2015: ("high", "agent"),
        2016: ("urgent", "agent"),
        2035: ("high", "agent"),
    }
    assert dict(outcome.findings.missed_words) == {"urgnet": 1, "urgent": 1, "urgently": 1, "urgnt": 1}


def test_the_sample_decisions_near_misses_after_hours_and_pages(outcome):
    f = outcome.findings
    assert dict(f.decisions) == {"urgent": 17, "time_sensitive": 8, "none": 27}
    assert f.near_miss_decisions == 5
    assert sorted(t.ticket_id for t in f.tickets if t.near_misses) == [2011, 2015, 2017, 2018, 2035]
    assert f.after_hours_escalations == 11
    assert sum(map(sum, f.hour_of_week)) == 25  # every urgent and time-sensitive decision
    assert f.hour_of_week[5][1] == 2  # Saturday 01:xx ET: ticket 2022, created and its comment
    # The volume counts every decision, escalating or not; escalations are a part of it, cell by cell.
    assert sum(map(sum, f.events_by_hour_of_week)) == 52
    assert all(
        f.hour_of_week[day][hour] <= f.events_by_hour_of_week[day][hour] for day in range(7) for hour in range(24)
    )
    assert f.after_hours_escalations < f.after_hours_events < 52
    # Paged once per ticket, though ticket 2022 has two paging decisions.
    assert sorted(t.ticket_id for t in f.tickets if t.paged_at) == PAGED_TICKETS
    assert f.pages_by_week == {
        date(2026, 9, 28): 0,
        date(2026, 10, 5): 2,
        date(2026, 10, 12): 1,
        date(2026, 10, 19): 3,
        date(2026, 10, 26): 1,
    }


def test_the_sample_api_calls_in_event_webhook_mode(outcome):
    f = outcome.findings
    assert dict(f.events) == {"updated": 29, "noop": 23, "ignored:agent_comment": 7, "ignored:private_comment": 2}
    assert {k: v for k, v in f.calls.items() if v} == {"PUT /api/v2/tickets/{id}": 29, "GET /api/v2/users/me": 23}


def test_the_sample_api_calls_in_trigger_mode(tmp_path, sample, policy, progress):
    f = run_backtest(Options(out=tmp_path, policy=policy, mode="trigger", input_path=sample), progress).findings
    assert {k: v for k, v in f.calls.items() if v} == {
        "PUT /api/v2/tickets/{id}": 29,
        "GET /api/v2/tickets/{id}": 52,  # every decision
        "GET /api/v2/tickets/{id}/comments": 20,  # 13 end-user and 7 agent public comments
        "GET /api/v2/users/me": 23,
    }


def test_decisions_jsonl_has_one_line_per_decision(outcome, tmp_path):
    lines = [json.loads(line) for line in (tmp_path / DECISIONS).read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 52
    first = lines[0]
    assert (first["ticket_id"], first["event"], first["at"], first["status"]) == (
        2024,
        "created",
        "2026-10-01T14:00:00Z",
        "noop",
    )
    paged = [line for line in lines if line["on_call"]]
    assert [line["ticket_id"] for line in paged] == [2002, 2007, 2008, 2037, 2032, 2022, 2022, 2036]
    assert {"urgency", "category", "priority_set", "tags_added", "explanation", "evidence", "calls"} <= set(first)


def test_an_interrupted_replay_continues_and_writes_what_an_uninterrupted_one_does(tmp_path, sample, policy):
    class StopAfter:
        def __init__(self, what, total, tickets=10):
            self.tickets = tickets

        def update(self, n):
            if n == 1:
                self.tickets -= 1
                if self.tickets == 0:
                    raise KeyboardInterrupt

        def set_postfix_str(self, s, refresh=True):
            pass

        def close(self):
            pass

    options = Options(out=tmp_path / "a", policy=policy, mode="event", input_path=sample)
    with pytest.raises(KeyboardInterrupt):
        run_backtest(options, StopAfter)
    state = json.loads((tmp_path / "a" / STATE).read_text())
    assert state["replay"]["done"] == 10
    with (tmp_path / "a" / DECISIONS).open("a") as torn:  # as if stopped in the middle of a write
        torn.write('{"ticket_id": 20')
    with (tmp_path / "a" / REPLAY).open("a") as torn:
        torn.write('{"ticket_id": 20')

    never = lambda what, total: StopAfter(what, total, tickets=-1)  # noqa: E731
    resumed = run_backtest(options, never)
    whole = run_backtest(Options(out=tmp_path / "b", policy=policy, mode="event", input_path=sample), never)

    assert (tmp_path / "a" / DECISIONS).read_text() == (tmp_path / "b" / DECISIONS).read_text()
    assert resumed.findings.groups == whole.findings.groups


def test_the_command_prints_counts_and_never_customer_text(tmp_path, sample):
    result = CliRunner().invoke(main, ["backtest", "--input", str(sample), "--out", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:6] == [
        "  decisions: 52 (urgent 17, time-sensitive 8, none 27; near misses 5)",
        "  the policy would escalate 22 tickets; the team raised 19 to high or urgent",
        "    both 12, policy only 10, team only (missed) 7, neither 10",
        "  after-hours events 14, escalations 11; on-call pages 7 (most in one week: 3)",
        "  Zendesk API calls it would have made (event webhooks): 52 (GET /api/v2/users/me 23, "
        "PUT /api/v2/tickets/{id} 29)",
    ]
    for history in read_histories(sample):
        for text in (history.subject, *(c.body for c in history.comments)):
            if len(text) > 12:
                assert text not in result.output
    assert (tmp_path / "index.html").is_file()


def test_a_window_keeps_only_the_tickets_created_in_it(tmp_path, sample):
    args = ["backtest", "--input", str(sample), "--out", str(tmp_path), "--since", "2026-10-26"]
    result = CliRunner().invoke(main, [*args, "--until", "2026-10-29"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "escalator backtest: 6 tickets replayed, tickets created from 2026-10-26T04:00:00Z to 2026-10-29T04:00:00Z (excluded)"
    )
    assert "left out: 33 tickets" in result.output  # 2017, 2033, 2018, 2035, 2019, 2036 stay


def test_another_window_in_the_same_folder_needs_restart_another_policy_replays_again(tmp_path, sample, policy_with):
    runner = CliRunner()
    first = ["backtest", "--input", str(sample), "--out", str(tmp_path)]
    assert runner.invoke(main, first).exit_code == 0

    other = runner.invoke(main, [*first, "--since", "2026-10-15"])
    assert other.exit_code == 2
    assert "holds a backtest of other tickets" in other.output
    assert "use --restart or another --out" in other.output

    assert runner.invoke(main, [*first, "--since", "2026-10-15", "--restart"]).exit_code == 0
    trigger = runner.invoke(main, [*first, "--since", "2026-10-15", "--webhook-mode", "trigger"])
    assert trigger.exit_code == 0
    assert "(trigger webhooks)" in trigger.output


def test_a_bad_tickets_file_is_refused_with_the_line_and_nothing_is_written(tmp_path):
    bad = tmp_path / "tickets.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")

    result = CliRunner().invoke(main, ["backtest", "--input", str(bad), "--out", str(tmp_path / "out")])

    assert result.exit_code == 2
    assert "line 1: comments: must hold at least the description" in result.output
    assert not (tmp_path / "out" / DECISIONS).exists()


def test_an_edited_tickets_file_is_replayed_again(tmp_path, sample, policy, progress):
    tickets = tmp_path / "tickets.jsonl"
    lines = sample.read_text(encoding="utf-8").splitlines(keepends=True)
    tickets.write_text("".join(lines), encoding="utf-8")
    options = Options(out=tmp_path / "out", policy=policy, mode="event", input_path=tickets)
    assert len(run_backtest(options, progress).findings.tickets) == 39

    tickets.write_text("".join(lines[:10]), encoding="utf-8")
    again = run_backtest(options, progress)

    assert len(again.findings.tickets) == 10
    kept = {json.loads(line)["id"] for line in lines[:10]}
    decided = {json.loads(line)["ticket_id"] for line in (tmp_path / "out" / DECISIONS).read_text().splitlines()}
    assert decided == kept  # every kept ticket decided, nothing left from the first run
