"""The short summary the command prints: counts only, never a subject or a comment."""

from __future__ import annotations

from pathlib import Path

from .compare import BOTH, NEITHER, POLICY_ONLY, TEAM_ONLY
from .html_report import window_text
from .run import Outcome
from .run_dir import DECISIONS, INDEX


def summary_lines(outcome: Outcome, out: Path) -> list[str]:
    f, run = outcome.findings, outcome.run
    groups = f.groups
    busiest = max(f.pages_by_week.values(), default=0)
    calls = ", ".join(f"{kind} {count}" for kind, count in sorted(f.calls.items()) if count) or "none"
    lines = [
        f"escalator backtest: {len(f.tickets)} tickets replayed, {window_text(run.since, run.until)} ({run.source})",
        f"  decisions: {sum(f.decisions.values())} (urgent {f.decisions['urgent']}, time-sensitive "
        f"{f.decisions['time_sensitive']}, none {f.decisions['none']}; near misses {f.near_miss_decisions})",
        f"  the policy would escalate {groups[BOTH] + groups[POLICY_ONLY]} tickets; the team raised "
        f"{groups[BOTH] + groups[TEAM_ONLY]} to high or urgent",
        f"    both {groups[BOTH]}, policy only {groups[POLICY_ONLY]}, team only (missed) {groups[TEAM_ONLY]}, "
        f"neither {groups[NEITHER]}",
        f"  after-hours events {f.after_hours_events}, escalations {f.after_hours_escalations}; on-call pages {f.pages} (most in one week: {busiest})",
        f"  Zendesk API calls it would have made ({run.mode} webhooks): {sum(f.calls.values())} ({calls})",
    ]
    if run.skipped:
        lines.append(f"  left out: {run.skipped} tickets (created outside the window, or without comments)")
    if outcome.zendesk_requests:
        lines.append(f"  requests this backtest sent to Zendesk: {outcome.zendesk_requests}")
    lines.append(f"  report: {out / INDEX}  decisions: {out / DECISIONS}")
    return lines
