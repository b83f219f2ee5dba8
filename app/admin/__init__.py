"""Admin commands: install escalator into a Zendesk account, check it, remove it.

The shape is a functional core and a thin shell:

- `desired.py` (pure): what the account should hold, built from the settings and the policy.
- `account.py`: what the account holds, found by the names install gives its objects (`names.py`).
- `plan.py` (pure): the difference, as a list of requests (none when nothing drifted).
- `execute.py`: sends the requests (or prints them for --dry-run) through `zendesk_api.py`, the
  existing Zendesk client plus waiting out 429s and explaining refusals in plain words.
- `install.py`, `doctor.py`, `uninstall.py`: the three commands (`app/cli/zendesk.py`).
"""
