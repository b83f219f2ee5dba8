"""The replayed decisions beside what the team did, counted. Pure: histories and replays in, numbers out.

Definitions (docs/backtest.md, "What the report counts"):
- The policy *escalates* a ticket when any of its decisions is urgent or time-sensitive; its level
  is the highest one. It *pages* for a ticket when any decision says on-call (once per ticket).
- The team *raised* a ticket when an agent or a rule (trigger, automation) changed its priority
  to high or urgent from something lower; its level is the highest priority so raised.
- Each ticket falls in one group: both, policy only, team only (the policy missed it), neither.
- A near miss is a decision with level none and a near-miss word (POLICY.md 1, "Near misses").
- The words the policy missed on a team-only ticket: its near-miss and negated words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from app.policy.config import Hours
from app.policy.model import LEVELS, NONE, priority_rank
from app.timestamps import parse_time

from .history import PRIORITY, TicketHistory
from .replay import GET_ME, TicketReplay

BOTH, POLICY_ONLY, TEAM_ONLY, NEITHER = "both", "policy_only", "team_only", "neither"
GROUPS = (BOTH, POLICY_ONLY, TEAM_ONLY, NEITHER)
RAISED = ("high", "urgent")  # the team's priorities that count as an escalation
TEAM_LEVELS = ("none", *RAISED)
ME_CACHE = timedelta(days=1)  # the worker keeps our own user id this long (INTEGRATION_USER_TTL_SECONDS)


@dataclass(frozen=True)
class TeamRaise:
    priority: str  # high | urgent: the highest it was raised to
    at: str  # when it was first raised
    by: str  # agent | rule, of that first raise


@dataclass(frozen=True)
class TicketVerdict:
    ticket_id: int
    subject: str
    created_at: str
    policy_level: str
    policy_category: str | None  # of the first escalating decision
    policy_at: str | None  # the first escalating decision
    team: TeamRaise | None
    evidence: tuple[dict[str, Any], ...]  # the words that escalated it
    missed_words: tuple[dict[str, Any], ...]  # near-miss and negated words
    near_misses: tuple[tuple[str, dict[str, Any]], ...]  # (when, evidence) of near-miss decisions
    paged_at: str | None

    @property
    def group(self) -> str:
        escalated, raised = self.policy_level != NONE, self.team is not None
        if escalated and raised:
            return BOTH
        if escalated:
            return POLICY_ONLY
        return TEAM_ONLY if raised else NEITHER

    @property
    def lead_minutes(self) -> float | None:
        """How long before the team's first raise the policy would have acted (negative: after)."""
        if self.team is None or self.policy_at is None:
            return None
        return (parse_time(self.team.at) - parse_time(self.policy_at)).total_seconds() / 60


@dataclass
class Findings:
    time_zone: str
    tickets: list[TicketVerdict] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)  # worker statuses
    decisions: Counter[str] = field(default_factory=Counter)  # by urgency
    near_miss_decisions: int = 0
    after_hours_escalations: int = 0
    after_hours_events: int = 0  # every event the policy read (escalating or not) after hours
    # escalating decisions by [weekday][hour] in the policy's time zone (Monday = 0)
    hour_of_week: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    # every event the policy read, the same way: the volume on-call hours would see
    events_by_hour_of_week: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    after_hours_cells: list[list[bool]] = field(default_factory=lambda: [[False] * 24 for _ in range(7)])
    pages_by_week: dict[date, int] = field(default_factory=dict)  # week starting Monday -> tickets paged
    calls: Counter[str] = field(default_factory=Counter)
    calls_by_week: dict[date, Counter[str]] = field(default_factory=dict)
    missed_words: Counter[str] = field(default_factory=Counter)  # word -> team-only tickets with it
    matrix: Counter[tuple[str, str]] = field(default_factory=Counter)  # (team level, policy level)

    def group(self, name: str) -> list[TicketVerdict]:
        return [t for t in self.tickets if t.group == name]

    @property
    def groups(self) -> dict[str, int]:
        counts = Counter(t.group for t in self.tickets)
        return {name: counts[name] for name in GROUPS}

    @property
    def pages(self) -> int:
        return sum(self.pages_by_week.values())

    @property
    def median_lead_minutes(self) -> float | None:
        leads = [t.lead_minutes for t in self.group(BOTH) if t.lead_minutes is not None]
        return median(leads) if leads else None


def compare(histories: list[TicketHistory], replays: list[TicketReplay], hours: Hours) -> Findings:
    """`hours` is the policy's calendar: its time zone, open days and hours."""
    by_id = {h.id: h for h in histories}
    zone = hours.time_zone
    findings = Findings(time_zone=str(zone.key))
    for day in range(7):
        for hour in range(24):
            findings.after_hours_cells[day][hour] = not _open_at(day, hour, hours)
    received: list[datetime] = []
    for replay in replays:
        history = by_id[replay.ticket_id]
        verdict = _verdict(history, replay)
        findings.tickets.append(verdict)
        _count_events(findings, replay, zone, received)
        findings.matrix[(verdict.team.priority if verdict.team else "none", verdict.policy_level)] += 1
        if verdict.group == TEAM_ONLY:
            findings.missed_words.update({e["text"].lower() for e in verdict.missed_words})
        if verdict.paged_at:
            week = week_of(parse_time(verdict.paged_at), zone)
            findings.pages_by_week[week] = findings.pages_by_week.get(week, 0) + 1
    for moment in _me_refreshes(sorted(received)):
        _add_calls(findings, week_of(moment, zone), {GET_ME: 1})
    _fill_weeks(findings)
    return findings


def _verdict(history: TicketHistory, replay: TicketReplay) -> TicketVerdict:
    decisions = replay.decisions
    level = max((d.decision["urgency"] for d in decisions if d.decision), key=LEVELS.index, default=NONE)
    first = next((d for d in decisions if d.decision and d.decision["urgency"] != NONE), None)
    evidence: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    near: list[tuple[str, dict[str, Any]]] = []
    for event in decisions:
        decision = event.decision or {}
        for found in decision["evidence"]:
            if found["kind"] == "term":
                evidence.append(found)
            elif found["kind"] in ("near_miss", "negated"):
                missed.append(found)
            if found["kind"] == "near_miss" and decision["near_miss"]:
                near.append((event.at, found))
    paged = next((d.at for d in decisions if d.decision and d.decision["on_call"]), None)
    return TicketVerdict(
        ticket_id=history.id,
        subject=history.subject,
        created_at=history.created_at,
        policy_level=level,
        policy_category=first.decision["category"] if first and first.decision else None,
        policy_at=first.at if first else None,
        team=team_raise(history),
        evidence=tuple(evidence),
        missed_words=tuple(missed),
        near_misses=tuple(near),
        paged_at=paged,
    )


def team_raise(history: TicketHistory) -> TeamRaise | None:
    """The team's escalation of the ticket, if it made one (module docstring)."""
    raises = [
        c
        for c in history.changes
        if c.field == PRIORITY
        and c.by_team
        and c.value in RAISED
        and priority_rank(c.value) > priority_rank(c.previous)
    ]
    if not raises:
        return None
    first = min(raises, key=lambda c: parse_time(c.at))
    highest = max((c.value for c in raises if c.value), key=priority_rank)
    return TeamRaise(priority=highest, at=first.at, by=first.by)


def _count_events(findings: Findings, replay: TicketReplay, zone: ZoneInfo, received: list[datetime]) -> None:
    for event in replay.events:
        moment = parse_time(event.at)
        received.append(moment)
        findings.events[event.status] += 1
        _add_calls(findings, week_of(moment, zone), event.calls)
        decision = event.decision
        if decision is None:
            continue
        findings.decisions[decision["urgency"]] += 1
        findings.near_miss_decisions += bool(decision["near_miss"])
        local = moment.astimezone(zone)
        findings.events_by_hour_of_week[local.weekday()][local.hour] += 1
        findings.after_hours_events += bool(decision["after_hours"])
        if decision["urgency"] != NONE:
            findings.hour_of_week[local.weekday()][local.hour] += 1
            findings.after_hours_escalations += bool(decision["after_hours"])


def _add_calls(findings: Findings, week: date, calls: dict[str, int]) -> None:
    findings.calls.update(calls)
    findings.calls_by_week.setdefault(week, Counter()).update(calls)


def _me_refreshes(moments: list[datetime]) -> list[datetime]:
    """When the worker would have asked `GET /users/me`: at the first event, then at the first
    event a day or more after the last ask (it caches the answer for a day)."""
    asks: list[datetime] = []
    for moment in moments:
        if not asks or moment - asks[-1] >= ME_CACHE:
            asks.append(moment)
    return asks


def _fill_weeks(findings: Findings) -> None:
    """Every week from the first to the last with activity, so quiet weeks show as zero."""
    weeks = set(findings.calls_by_week) | set(findings.pages_by_week)
    if not weeks:
        return
    week, last = min(weeks), max(weeks)
    while week <= last:
        findings.pages_by_week.setdefault(week, 0)
        findings.calls_by_week.setdefault(week, Counter())
        week += timedelta(days=7)
    findings.pages_by_week = dict(sorted(findings.pages_by_week.items()))
    findings.calls_by_week = dict(sorted(findings.calls_by_week.items()))


def week_of(moment: datetime, zone: ZoneInfo) -> date:
    """The Monday (in the policy's time zone) of the week `moment` falls in."""
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def _open_at(weekday: int, hour: int, hours: Hours) -> bool:
    """Whether half past `hour` on `weekday` is business time (holidays aside: they are dates,
    not hours of the week). For the shading of the hour-of-week table only; each decision's own
    after-hours flag comes from the policy's calendar."""
    return weekday in hours.days and hours.open <= time(hour, 30) < hours.close
