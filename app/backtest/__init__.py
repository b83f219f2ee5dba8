"""`escalator backtest`: replay past tickets through the policy and report what it would have done.

- `history.py`: one ticket's history (`TicketHistory`) and its JSON Lines format (`--input`).
- `replay.py`: pure; a history through the worker's planner, with a simulated ticket.
- `compare.py`: pure; the replayed decisions beside what the team did, counted.
- `zendesk_export.py`, `assemble.py`, `limits.py`: the account path (incremental exports, the
  comments fallback, user roles), rate limited and resumable.
- `run_dir.py`: the output folder: state, spools, decisions (what makes a run resumable).
- `charts.py`, `html_report.py`, `summary.py`: the report.
- `run.py`: the shell that ties them together for the command (`app/cli/backtest.py`).
"""
