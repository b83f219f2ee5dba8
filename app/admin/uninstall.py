"""`escalator zendesk uninstall`: remove what install made, found by the names install gives it."""

from __future__ import annotations

from collections.abc import Callable

from app.admin.account import read_account, whoami
from app.admin.desired import FIELDS
from app.admin.execute import DRY_RUN_READS, describe, dry_run_footer, execute
from app.admin.plan import plan_uninstall
from app.admin.zendesk_api import AdminZendesk


def run_uninstall(
    api: AdminZendesk,
    *,
    confirm: Callable[[str], bool],
    echo: Callable[[str], None],
    keep_fields: bool = False,
    dry_run: bool = False,
) -> int:
    """Returns the exit status; `confirm` is asked once, listing everything that will go."""
    if dry_run:
        api = api.read_only_view()
        echo(DRY_RUN_READS)
    user = whoami(api)
    echo(f"Zendesk {api.base_url}, as {user.get('name') or user.get('id')} (admin).")
    plan = plan_uninstall(read_account(api), keep_fields=keep_fields)
    if not plan.requests:
        echo("Nothing of escalator's is left in this account (no write sent).")
        return 0
    if dry_run:
        echo(f"Dry run: {len(plan.requests)} write request(s) would be sent, listed below; none is sent.")
        for request in plan.requests:
            echo(describe(request))
        echo(dry_run_footer(api))
        return 0
    listing = "\n".join(f"  - {request.what}" for request in plan.requests)
    warning = ""
    if any(r.method == "DELETE" and r.group == FIELDS for r in plan.requests):
        warning = "Deleting a ticket field deletes its value on every ticket (--keep-fields deactivates instead).\n"
    if not confirm(f"This changes {api.base_url}:\n{listing}\n{warning}Go ahead?"):
        echo("Nothing removed.")
        return 1
    outcome = execute(api, plan.requests, echo)
    echo(f"Removed {len(outcome.sent)}, failed {len(outcome.failures)}, skipped {len(outcome.skipped)}.")
    if not outcome.failures:
        echo(
            "Remove ZENDESK_WEBHOOK_SECRET and the [zendesk] field ids from the service's settings if it stays deployed."
        )
    return 1 if outcome.failures else 0
