"""The backtest, start to end: tickets in (a file, or the account), replayed, compared, reported.

A run lives in its output folder (`run_dir.py`). Run again with the same arguments, it continues
where it stopped: the export from its saved cursors, the replay from the last ticket it finished.
A finished run run again only writes the report again. A different policy file, webhook mode or
edited --input file replays the tickets again without asking Zendesk; another window or source
needs --restart (or another --out).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app import defaults
from app.policy import Policy
from app.policy.model import NONE
from app.timestamps import format_utc, parse_time

from . import html_report
from .assemble import assemble
from .compare import Findings, compare
from .history import TicketHistory, read_histories, write_histories
from .html_report import RunInfo
from .replay import TicketReplay, replay_ticket
from .run_dir import DECISIONS, INDEX, REPLAY, STATE_VERSION, TICKETS, RunDir
from .zendesk_export import AccountExport, Paced, ProgressFactory


class BacktestError(Exception):
    """The run cannot start or go on; the message says why and what to do."""


@dataclass(frozen=True)
class Options:
    out: Path
    policy: Policy
    mode: str
    since: datetime | None = None
    until: datetime | None = None
    input_path: Path | None = None
    restart: bool = False

    def fetch_args(self) -> dict[str, Any]:
        """What decides which tickets are read: a change needs --restart."""
        return {
            "input": str(self.input_path.resolve()) if self.input_path else None,
            "since": format_utc(self.since) if self.since else None,
            "until": format_utc(self.until) if self.until else None,
        }

    def replay_args(self) -> dict[str, Any]:
        """What decides the replay: a change replays the saved tickets again."""
        tickets = _fingerprint(self.input_path) if self.input_path else None  # an edited file replays again
        return {"policy": _fingerprint(Path(self.policy.source)), "mode": self.mode, "tickets": tickets}


@dataclass(frozen=True)
class Outcome:
    findings: Findings
    run: RunInfo
    zendesk_requests: int  # the backtest's own reads, over every run of this folder


def parse_moment(text: str, zone: ZoneInfo) -> datetime:
    """`2026-10-01` is midnight in the policy's time zone; a full ISO 8601 time keeps its own."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            return datetime.combine(day, time(0), tzinfo=zone)
        return parse_time(text)
    except ValueError:
        raise BacktestError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time with a zone") from None


def run_backtest(
    options: Options,
    progress: ProgressFactory,
    reader: Callable[[], Paced] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Outcome:
    """`reader` makes the paced Zendesk reader (the account path); None with --input."""
    run = RunDir(options.out)
    if options.restart:
        run.reset(keep=options.input_path)
    state = _state(run, options)
    if options.input_path is not None:
        histories, skipped = _from_file(options)
        source = f"tickets file {options.input_path}"
    else:
        if reader is None:
            raise BacktestError("no Zendesk reader for the account path")
        histories, skipped = _from_account(run, state, options, reader(), progress, now)
        source = "Zendesk account"
    replays = _replay(run, state, options, histories, progress)
    findings = compare(histories, replays, options.policy.hours)
    info = RunInfo(
        source=source,
        since=state["fetch"]["since"],
        until=state.get("until") or state["fetch"]["until"],
        policy=_shown(options.policy.source),
        mode=options.mode,
        skipped=skipped,
    )
    page = html_report.render(findings, info, _first_escalation_notes(replays))
    run.file(INDEX).write_text(page, encoding="utf-8")
    return Outcome(findings, info, state.get("zendesk_requests", 0))


def _state(run: RunDir, options: Options) -> dict[str, Any]:
    try:
        state = run.load_state()
    except ValueError as error:
        raise BacktestError(str(error)) from None
    if state is None:
        state = {"version": STATE_VERSION, "fetch": options.fetch_args()}
        run.save_state(state)
        return state
    if state.get("version") != STATE_VERSION:
        raise BacktestError(f"{run.path} holds a backtest from another version; use --restart or another --out")
    if state["fetch"] != options.fetch_args():
        raise BacktestError(
            f"{run.path} holds a backtest of other tickets ({_describe(state['fetch'])}); "
            "run it with those arguments to continue it, or use --restart or another --out"
        )
    return state


def _describe(fetch: dict[str, Any]) -> str:
    parts = [f"--input {fetch['input']}"] if fetch["input"] else ["the account"]
    parts += [f"--{key} {fetch[key]}" for key in ("since", "until") if fetch[key]]
    return " ".join(parts)


def _in_window(history: TicketHistory, options: Options) -> bool:
    created = history.created
    return (options.since is None or created >= options.since) and (options.until is None or created < options.until)


def _from_file(options: Options) -> tuple[list[TicketHistory], int]:
    assert options.input_path is not None
    everything = read_histories(options.input_path)
    histories = sorted((h for h in everything if _in_window(h, options)), key=lambda h: (h.created, h.id))
    return histories, len(everything) - len(histories)


def _from_account(
    run: RunDir,
    state: dict[str, Any],
    options: Options,
    reader: Paced,
    progress: ProgressFactory,
    now: Callable[[], datetime],
) -> tuple[list[TicketHistory], int]:
    if options.since is None:
        raise BacktestError("--since is required when reading the account (or give --input FILE)")
    latest = now() - timedelta(seconds=defaults.INCREMENTAL_EXPORT_LAG_SECONDS)
    if "until" not in state:  # fixed at the first run, so a continued run reads the same window
        state["until"] = format_utc(min(options.until, latest) if options.until else latest)
        run.save_state(state)
    until = parse_time(state["until"])
    if options.since >= until:
        raise BacktestError(
            f"--since {format_utc(options.since)} must be before --until and over a minute ago "
            "(Zendesk leaves the last minute out of its exports)"
        )
    if not state.get("exported"):
        requests_before = getattr(reader, "requests", 0)
        export = AccountExport(
            reader, run, state, since=int(options.since.timestamp()), until=int(until.timestamp()), progress=progress
        )
        try:
            export.fetch()
        finally:
            state["zendesk_requests"] = (
                state.get("zendesk_requests", 0) + getattr(reader, "requests", 0) - requests_before
            )
            run.save_state(state)
        histories, skipped = assemble(run, int(until.timestamp()), state["export"]["integration_user_id"])
        write_histories(run.file(TICKETS), histories)
        state["exported"] = {"tickets": len(histories), "without_comments": skipped}
        run.save_state(state)
    return read_histories(run.file(TICKETS)), state["exported"]["without_comments"]


def _replay(
    run: RunDir, state: dict[str, Any], options: Options, histories: list[TicketHistory], progress: ProgressFactory
) -> list[TicketReplay]:
    replay_state = state.get("replay")
    if replay_state is None or replay_state["args"] != options.replay_args():
        replay_state = state["replay"] = {"args": options.replay_args(), "done": 0, "sizes": {DECISIONS: 0, REPLAY: 0}}
    for name, size in replay_state["sizes"].items():
        run.cut(name, size)  # what an interrupted run wrote after its last saved ticket
    run.save_state(state)
    bar = progress("replaying tickets", float(len(histories)))
    bar.update(replay_state["done"])
    try:
        for history in histories[replay_state["done"] :]:
            replay = replay_ticket(history, options.policy, options.mode)
            replay_state["sizes"] = {
                DECISIONS: run.append(DECISIONS, decision_lines(replay)),
                REPLAY: run.append(REPLAY, [replay.to_json()]),
            }
            replay_state["done"] += 1
            run.save_state(state)
            bar.update(1)
    finally:
        bar.close()
    return [TicketReplay.from_json(item) for item in run.records(REPLAY)]


def decision_lines(replay: TicketReplay) -> list[dict[str, Any]]:
    """decisions.jsonl: one line per decision, the ticket and event first."""
    return [
        {
            "ticket_id": replay.ticket_id,
            "event": event.kind,
            "comment_id": event.comment_id,
            "at": event.at,
            "status": event.status,
            "calls": event.calls,
            **(event.decision or {}),
        }
        for event in replay.decisions
    ]


def _first_escalation_notes(replays: list[TicketReplay]) -> dict[int, str]:
    notes = {}
    for replay in replays:
        first = next((e.decision for e in replay.decisions if e.decision and e.decision["urgency"] != NONE), None)
        if first:
            notes[replay.ticket_id] = first["explanation"]
    return notes


def _shown(path: str) -> str:
    """A path as the report shows it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def _fingerprint(path: Path) -> str:
    try:
        content = path.read_bytes()
    except OSError:
        return str(path)
    return hashlib.sha256(content).hexdigest()[:16]
