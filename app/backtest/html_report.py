"""The report page: one self-contained HTML file, tables and inline SVG charts, no script, no
network. Every value from a ticket is escaped; the evidence shown is what the internal note
would have quoted (the engine's evidence context)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from app.policy.model import LEVELS, NONE
from app.timestamps import parse_time

from . import charts
from .compare import BOTH, NEITHER, POLICY_ONLY, TEAM_LEVELS, TEAM_ONLY, Findings, TicketVerdict
from .replay import CALL_KINDS

GROUP_LABELS = {
    BOTH: "both escalated",
    POLICY_ONLY: "policy only",
    TEAM_ONLY: "team only (missed)",
    NEITHER: "neither",
}
LEVEL_LABELS = {NONE: "none", "time_sensitive": "time-sensitive (high)", "urgent": "urgent"}

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222;
       padding: 0 1rem; line-height: 1.4; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures td.n { font-weight: bold; font-size: 1.05rem; }
.chart { max-width: 100%; height: auto; display: block; margin: 0.5rem 0; }
table.week td { text-align: center; padding: 0.1rem 0.2rem; font-size: 0.75rem; min-width: 1.2rem; }
table.week td.after { background: #f7efe6; } table.week td.hot { background: #f4a259; font-weight: bold; }
q { font-style: italic; } mark { background: #ffe58a; }
.none { color: #777; } details pre { white-space: pre-wrap; font-size: 0.8rem; }
"""


@dataclass(frozen=True)
class RunInfo:
    source: str  # where the tickets came from, e.g. "tickets file tickets.jsonl"
    since: str | None  # the window, ISO times; None: open
    until: str | None
    policy: str
    mode: str  # the webhook mode the API calls are counted for
    skipped: int  # tickets read but created outside the window


def render(findings: Findings, run: RunInfo, notes: dict[int, str]) -> str:
    """The page. `notes` maps a ticket to the internal note of its first escalating decision."""
    zone = ZoneInfo(findings.time_zone)
    page = _Page(zone)
    page.add(f"<h1>escalator backtest</h1>\n<p class='meta'>{_meta(run, findings)}</p>")
    page.figures(findings)
    page.agreement(findings)
    page.missed(findings.group(TEAM_ONLY), findings)
    page.policy_only(findings.group(POLICY_ONLY), notes)
    page.both(findings.group(BOTH))
    page.near_misses(findings)
    page.after_hours(findings)
    page.pages(findings)
    page.api_calls(findings, run.mode)
    page.caveats()
    body = "\n".join(page.parts)
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>escalator backtest</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _meta(run: RunInfo, findings: Findings) -> str:
    return _e(
        f"{run.source} · {window_text(run.since, run.until)} · policy {run.policy} · "
        f"API calls counted for {run.mode} webhooks · times in {findings.time_zone}"
    )


def window_text(since: str | None, until: str | None) -> str:
    if since and until:
        return f"tickets created from {since} to {until} (excluded)"
    if since:
        return f"tickets created from {since} on"
    if until:
        return f"tickets created before {until}"
    return "every ticket"


class _Page:
    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def when(self, at: str | None) -> str:
        if not at:
            return "—"
        return parse_time(at).astimezone(self.zone).strftime("%a %Y-%m-%d %H:%M %Z")

    def figures(self, f: Findings) -> None:
        groups = f.groups
        lead = f.median_lead_minutes
        rows = [
            ("tickets replayed", len(f.tickets)),
            ("decisions (creations and end-user comments)", sum(f.decisions.values())),
            ("... urgent", f.decisions["urgent"]),
            ("... time-sensitive", f.decisions["time_sensitive"]),
            ("... near misses (tagged for a human, no priority change)", f.near_miss_decisions),
            ("tickets the policy would escalate", groups[BOTH] + groups[POLICY_ONLY]),
            ("tickets the team raised to high or urgent", groups[BOTH] + groups[TEAM_ONLY]),
            ("... of which the policy would not have (missed)", groups[TEAM_ONLY]),
            ("escalations after hours", f.after_hours_escalations),
            ("on-call pages (one per ticket)", f.pages),
            ("Zendesk API calls", sum(f.calls.values())),
            ("median minutes the policy acts before the team (tickets both escalated)", _minutes(lead)),
        ]
        self.add("<h2 id='figures'>Key figures</h2>")
        self.add(_table(["", "count"], [[_e(label), _num(value)] for label, value in rows], "figures", numeric=(1,)))

    def agreement(self, f: Findings) -> None:
        groups = f.groups
        self.add("<h2 id='agreement'>The policy beside the team</h2>")
        self.add(
            "<p>Per ticket: did the policy escalate it (any decision urgent or time-sensitive), and did an "
            "agent or a rule raise its priority to high or urgent?</p>"
        )
        self.add(
            charts.bar_chart(
                "agreement",
                [GROUP_LABELS[g] for g in GROUP_LABELS],
                {"tickets": [groups[g] for g in GROUP_LABELS]},
                title="Tickets by who escalated them",
                ylabel="tickets",
            )
        )
        header = ["team raised to \\ policy level", *(LEVEL_LABELS[level] for level in LEVELS)]
        rows = [[_e(team), *(_num(f.matrix[(team, level)]) for level in LEVELS)] for team in TEAM_LEVELS]
        self.add(_table(header, rows, "matrix", numeric=(1, 2, 3)))

    def missed(self, tickets: list[TicketVerdict], f: Findings) -> None:
        self.add("<h2 id='missed'>Raised by the team, not by the policy</h2>")
        self.add(
            "<p>The words it missed are the near misses and negated terms in what it read (the subject and "
            "description, then end-user comments). Agent comments, internal notes and quoted text are not "
            "read, so urgency written only there shows no words.</p>"
        )
        rows = [
            [
                _num(t.ticket_id),
                _e(t.subject),
                _e(t.team.priority if t.team else ""),
                _e(t.team.by if t.team else ""),
                _e(self.when(t.team.at if t.team else None)),
                _evidence(t.missed_words) or "<span class='none'>no urgency words in what the policy reads</span>",
            ]
            for t in tickets
        ]
        self.add(_table(["ticket", "subject", "raised to", "by", "when", "words it missed"], rows, "missed-table"))
        if f.missed_words:
            words = [[_e(word), _num(count)] for word, count in f.missed_words.most_common()]
            self.add(_table(["missed word", "tickets"], words, "missed-words", numeric=(1,)))

    def policy_only(self, tickets: list[TicketVerdict], notes: dict[int, str]) -> None:
        self.add("<h2 id='policy-only'>Escalated by the policy, left alone by the team</h2>")
        rows = [
            [
                _num(t.ticket_id),
                _e(t.subject),
                _e(LEVEL_LABELS[t.policy_level]),
                _e(t.policy_category or ""),
                _e(self.when(t.policy_at)),
                _evidence(t.evidence) + _note(notes.get(t.ticket_id)),
            ]
            for t in tickets
        ]
        self.add(_table(["ticket", "subject", "level", "category", "when", "evidence"], rows, "policy-only-table"))

    def both(self, tickets: list[TicketVerdict]) -> None:
        self.add("<h2 id='both'>Escalated by both</h2>")
        rows = [
            [
                _num(t.ticket_id),
                _e(t.subject),
                _e(LEVEL_LABELS[t.policy_level]),
                _e(t.team.priority if t.team else ""),
                _e(self.when(t.policy_at)),
                _e(self.when(t.team.at if t.team else None)),
                _num(_minutes(t.lead_minutes)),
            ]
            for t in tickets
        ]
        header = ["ticket", "subject", "policy", "team", "policy at", "team at", "minutes ahead"]
        self.add(_table(header, rows, "both-table", numeric=(6,)))

    def near_misses(self, f: Findings) -> None:
        self.add("<h2 id='near-misses'>Near misses</h2>")
        self.add(
            "<p>Misspelt or derived terms: the policy tags them <code>urgency_near_miss</code> for a human "
            "to look at, without raising the priority or paging.</p>"
        )
        rows = [
            [_num(t.ticket_id), _e(t.subject), _e(self.when(at)), _evidence([found])]
            for t in f.tickets
            for at, found in t.near_misses
        ]
        self.add(_table(["ticket", "subject", "when", "word"], rows, "near-miss-table"))

    def after_hours(self, f: Findings) -> None:
        self.add("<h2 id='after-hours'>Volume and escalations by hour of the week</h2>")
        self.add(
            f"<p>Every customer event the policy read (new tickets, end-user comments and messages) by the hour "
            f"it came in ({_e(f.time_zone)}); {f.after_hours_events} came after hours (shaded).</p>"
        )
        self.add(
            charts.hour_of_week_chart(
                "events-by-hour", f.events_by_hour_of_week, f.after_hours_cells, title="Events by hour of the week"
            )
        )
        self.hour_table("events-by-hour-table", f.events_by_hour_of_week, f.after_hours_cells)
        self.add(
            f"<p>Of those, the urgent and time-sensitive decisions; {f.after_hours_escalations} were after hours.</p>"
        )
        self.add(
            charts.hour_of_week_chart(
                "hour-of-week", f.hour_of_week, f.after_hours_cells, title="Escalations by hour of the week"
            )
        )
        self.hour_table("hour-of-week-table", f.hour_of_week, f.after_hours_cells)

    def hour_table(self, table_id: str, counts: list[list[int]], after_hours: list[list[bool]]) -> None:
        header = "".join(f"<th>{h:02d}</th>" for h in range(24))
        rows = []
        for day, name in enumerate(charts.DAY_LABELS):
            cells = []
            for hour in range(24):
                count = counts[day][hour]
                classes = [name for name, on in (("after", after_hours[day][hour]), ("hot", count)) if on]
                attribute = f" class='{' '.join(classes)}'" if classes else ""
                cells.append(f"<td{attribute}>{count or ''}</td>")
            rows.append(f"<tr><th>{name}</th>{''.join(cells)}</tr>")
        self.add(f"<table class='week' id='{table_id}'><tr><th></th>{header}</tr>{''.join(rows)}</table>")

    def pages(self, f: Findings) -> None:
        self.add("<h2 id='pages'>On-call pages per week</h2>")
        self.add(
            "<p>Tickets with an urgent after-hours decision in a paging category (once per ticket, in the week "
            "of its first page).</p>"
        )
        weeks = [week.isoformat() for week in f.pages_by_week]
        self.add(
            charts.bar_chart(
                "pages",
                weeks,
                {"pages": list(f.pages_by_week.values())},
                title="Pages per week (week starting Monday)",
                ylabel="pages",
                colors=(charts.RED,),
            )
        )
        rows = [[_e(week.isoformat()), _num(count)] for week, count in f.pages_by_week.items()]
        self.add(_table(["week of", "pages"], rows, "pages-table", numeric=(1,)))

    def api_calls(self, f: Findings, mode: str) -> None:
        self.add("<h2 id='api-calls'>Zendesk API calls the service would have made</h2>")
        self.add(
            f"<p>Counted per event as the worker makes them, for {_e(mode)} webhooks (docs/backtest.md, "
            "“API calls”).</p>"
        )
        weeks = [week.isoformat() for week in f.calls_by_week]
        kinds = [kind for kind in CALL_KINDS if f.calls[kind]]
        self.add(
            charts.bar_chart(
                "api-calls",
                weeks,
                {kind: [f.calls_by_week[w][kind] for w in f.calls_by_week] for kind in kinds} or {"calls": []},
                title="API calls per week",
                ylabel="calls",
                stacked=True,
            )
        )
        header = ["call", *weeks, "total"]
        rows = [
            [_e(kind), *(_num(f.calls_by_week[w][kind]) for w in f.calls_by_week), _num(f.calls[kind])]
            for kind in CALL_KINDS
        ]
        self.add(_table(header, rows, "api-calls-table", numeric=tuple(range(1, len(header)))))

    def caveats(self) -> None:
        self.add("<h2 id='caveats'>How to read this</h2>")
        self.add(
            "<ul>"
            "<li>Only tickets created in the window are replayed, each from its creation to the end of the window.</li>"
            "<li>Authors are told apart by their role today (end user or staff); a user promoted since counts as staff.</li>"
            "<li>“The team” is agents and the account's rules (triggers, automations); "
            "changes escalator itself made are left out, the replay makes its own.</li>"
            "<li>Pages are counted once per ticket; the pager itself is not part of this replay.</li>"
            "</ul>"
        )


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], table_id: str, numeric: tuple[int, ...] = ()) -> str:
    """`header` is text (escaped here); `rows` are cells already rendered as HTML."""
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{_e(h)}</th>" for i, h in enumerate(header))
    body = [
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    ]
    if not body:
        body = [f"<tr><td colspan='{len(header)}' class='none'>none</td></tr>"]
    return f"<table id='{table_id}'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _evidence(found: Iterable[dict[str, Any]]) -> str:
    """Each word as the note would quote it: the context, with the word marked."""
    snippets = []
    for item in found:
        context, text = item.get("context") or item["text"], item["text"]
        before, marked, after = context.partition(text)
        quoted = _e(before) + f"<mark>{_e(marked)}</mark>" + _e(after) if marked else _e(context)
        where = (
            f" ({_e(item['field'])}" + (f", negated by “{_e(item['negator'])}”" if item.get("negator") else "") + ")"
        )
        snippets.append(f"<q>{quoted}</q>{where}")
    return "<br>".join(snippets)


def _note(note: str | None) -> str:
    return f"<details><summary>internal note</summary><pre>{_e(note)}</pre></details>" if note else ""


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _num(value: object) -> str:
    return _e(str(value))


def _e(text: str) -> str:
    return html.escape(text, quote=True)
