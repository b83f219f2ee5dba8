"""`escalator zendesk install`: make the account hold what `desired.py` says, writing only drift."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app.admin.account import Account, read_account, whoami, zendesk_time_zone
from app.admin.desired import EVENTS_MODE, FIELD_SPECS, SCHEDULE, build_desired, service_url, webhook_endpoint
from app.admin.execute import DRY_RUN_READS, Outcome, describe, dry_run_footer, execute
from app.admin.plan import Plan, plan_install
from app.admin.zendesk_api import AdminZendesk, explain
from app.policy import Policy
from app.zendesk.errors import ZendeskError

SECRET_VARIABLE = "ZENDESK_WEBHOOK_SECRET"


@dataclass(frozen=True)
class InstallOptions:
    url: str  # the service's address (`desired.service_url` checks it)
    mode: str = EVENTS_MODE
    extra_fields: tuple[str, ...] = ()
    skip: frozenset[str] = field(default_factory=frozenset)
    dry_run: bool = False
    write_env: Path | None = None


def run_install(
    api: AdminZendesk | None,
    policy: Policy,
    options: InstallOptions,
    *,
    echo: Callable[[str], None],
    today: date,
) -> int:
    """Install; returns the exit status. `api` is None only for a dry run without credentials,
    which plans against an empty account without any request. A dry run with credentials reads
    the account (GETs) to plan only what drifted, and writes nothing."""
    if api is None:
        echo("Dry run without Zendesk credentials: planning against an empty account; no request is sent.")
        account, time_zone = Account(), f"<Zendesk's name for {policy.hours.time_zone.key}>"
    else:
        if options.dry_run:
            api = api.read_only_view()
            echo(DRY_RUN_READS)
        user = whoami(api)
        echo(f"Zendesk {api.base_url}, as {user.get('name') or user.get('id')} (admin).")
        time_zone = "" if SCHEDULE in options.skip else zendesk_time_zone(api, str(policy.hours.time_zone.key))
        account = read_account(api, skip=options.skip)
    desired = build_desired(
        policy,
        endpoint=webhook_endpoint(service_url(options.url)),
        mode=options.mode,
        extra_fields=options.extra_fields,
        time_zone=time_zone,
        today=today,
        skip=options.skip,
    )
    plan = plan_install(desired, account)
    for note in plan.notes:
        echo(f"Note: {note}")
    for problem in plan.problems:
        echo(f"Problem: {problem}")

    if not plan.requests:
        echo("Nothing to change: the account already matches (no write sent).")
        outcome = Outcome()
    elif options.dry_run:
        echo(f"Dry run: {len(plan.requests)} write request(s) would be sent, listed below; none is sent.")
        for request in plan.requests:
            echo(describe(request))
        outcome = Outcome()
    else:
        assert api is not None
        echo(f"Sending {len(plan.requests)} request(s):")
        outcome = execute(api, plan.requests, echo)
        echo(f"Sent {len(outcome.sent)}, failed {len(outcome.failures)}, skipped {len(outcome.skipped)}.")

    status = 1 if plan.problems or outcome.failures else 0
    status = max(status, _report_secret(api, plan, outcome, options, echo))
    _report_field_ids(plan, outcome, echo)
    if options.dry_run:
        echo(dry_run_footer(api))
    return status


def _report_secret(
    api: AdminZendesk | None, plan: Plan, outcome: Outcome, options: InstallOptions, echo: Callable[[str], None]
) -> int:
    webhook_id = outcome.resolve(plan.webhook_id)
    if webhook_id is None:  # several webhooks with our name: a problem is reported
        return 0
    if str(webhook_id).startswith("<"):
        if options.dry_run:
            echo(f"{SECRET_VARIABLE}: the new webhook's secret is read after it is made (not in a dry run).")
        else:
            echo(f"{SECRET_VARIABLE}: none yet, the webhook was not made (see FAILED above).")
        return 0
    path = f"/api/v2/webhooks/{webhook_id}/signing_secret"
    if options.dry_run or api is None:
        echo(f"{SECRET_VARIABLE}: read with GET {path} (not in a dry run).")
        return 0
    try:
        secret = str(api.get(path)["signing_secret"]["secret"])
    except ZendeskError as error:
        echo(explain(error, f"reading the webhook's signing secret (GET {path})"))
        return 1
    except (KeyError, TypeError):
        echo(f"GET {path}: Zendesk's answer has no signing_secret.secret.")
        return 1
    if options.write_env:
        write_env_line(options.write_env, SECRET_VARIABLE, secret)
        echo(f"{SECRET_VARIABLE} written to {options.write_env}.")
    else:
        echo(f"{SECRET_VARIABLE}={secret}")
    echo(
        f"Set it where the service runs (Heroku: heroku config:set {SECRET_VARIABLE}=...); to replace another "
        "secret without dropping webhooks, set old,new until the old one is gone."
    )
    return 0


def _report_field_ids(plan: Plan, outcome: Outcome, echo: Callable[[str], None]) -> None:
    lines = []
    for spec in FIELD_SPECS.values():
        field_id = outcome.resolve(plan.field_ids.get(spec.config_key))
        if field_id is None:
            continue
        prefix = "# " if str(field_id).startswith("<") else ""
        lines.append(f"{prefix}{spec.config_key} = {field_id}")
        if spec.config_key == "response_due_field_id":
            lines.append(f'{prefix}response_due_field_type = "text"')
    if lines:
        echo("For config/policy.toml, section [zendesk] (the worker writes only the fields named there):")
        for line in lines:
            echo(line)


def write_env_line(path: Path, name: str, value: str) -> None:
    """Set `name=value` in an env file: the existing line is replaced, else one is appended."""
    text = path.read_text() if path.exists() else ""
    line = f"{name}={value}"
    pattern = re.compile(rf"^{re.escape(name)}=.*$", re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: line, text, count=1)
    else:
        text += ("" if not text or text.endswith("\n") else "\n") + line + "\n"
    path.write_text(text)
