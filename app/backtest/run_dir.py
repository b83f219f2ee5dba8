"""The output folder of a backtest: the report, and what makes an interrupted run resumable.

- `.backtest-state.json`: where the run is (phase, export cursors, tickets replayed, file sizes),
  written whole to a temporary file and renamed, so it is never half written.
- JSON Lines files that only grow: the export spools, `.backtest-replay.jsonl` and
  `decisions.jsonl`. A record is appended before the state that counts it is saved; after an
  interruption a file is cut back to the size the state recorded (replay), or its records are
  de-duplicated by id when read (export pages fetched twice).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

STATE = ".backtest-state.json"
STATE_VERSION = 1
DECISIONS = "decisions.jsonl"
REPLAY = ".backtest-replay.jsonl"
TICKETS = "tickets.jsonl"
INDEX = "index.html"
# Export spools (the account path): raw material for tickets.jsonl.
EXPORTED_TICKETS = ".backtest-export-tickets.jsonl"
EXPORTED_EVENTS = ".backtest-export-events.jsonl"
FETCHED_COMMENTS = ".backtest-comments.jsonl"
USERS = ".backtest-users.jsonl"
SPOOLS = (EXPORTED_TICKETS, EXPORTED_EVENTS, FETCHED_COMMENTS, USERS, REPLAY)


class RunDir:
    def __init__(self, path: Path):
        self.path = path

    def file(self, name: str) -> Path:
        return self.path / name

    def load_state(self) -> dict[str, Any] | None:
        try:
            state: dict[str, Any] = json.loads(self.file(STATE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            raise ValueError(f"{self.file(STATE)} is not a backtest state file; remove it or use --restart") from None
        return state

    def save_state(self, state: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        temporary = self.file(STATE + ".tmp")
        temporary.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.file(STATE))

    def append(self, name: str, records: Iterable[dict[str, Any]]) -> int:
        """Append records as lines in one write; the file's size after it."""
        self.path.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
        with self.file(name).open("a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            return handle.tell()

    def records(self, name: str) -> Iterator[dict[str, Any]]:
        """The file's records; a torn last line (the write was interrupted) is skipped."""
        try:
            handle = self.file(name).open(encoding="utf-8")
        except FileNotFoundError:
            return
        with handle:
            for line in handle:
                if not line.endswith("\n"):
                    return
                yield json.loads(line)

    def size(self, name: str) -> int:
        try:
            return self.file(name).stat().st_size
        except FileNotFoundError:
            return 0

    def cut(self, name: str, size: int) -> None:
        """Cut the file back to `size` bytes: what was written after the state last counted."""
        if self.size(name) > size:
            with self.file(name).open("r+b") as handle:
                handle.truncate(size)

    def reset(self, keep: Path | None = None) -> None:
        """Forget a previous run: its state, spools, decisions and page (--restart); never `keep`
        (the --input file, which may be an earlier run's tickets.jsonl)."""
        for name in (STATE, *SPOOLS, DECISIONS, TICKETS, INDEX):
            if keep is None or self.file(name).resolve() != keep.resolve():
                self.file(name).unlink(missing_ok=True)
