"""`escalator zendesk install | doctor | uninstall`: the admin commands (logic in app/admin/)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click

from app.admin.desired import EVENTS_MODE, EXTRA_FIELDS, MODES, SKIPPABLE, BadServiceUrl, service_url
from app.admin.zendesk_api import AdminError, AdminZendesk, explain
from app.infra.settings import Settings, SettingsError
from app.policy import Policy, PolicyError, load_policy
from app.timestamps import utc_now
from app.zendesk.client import ZendeskClient
from app.zendesk.errors import ZendeskError

NO_CREDENTIALS = (
    "needs a Zendesk account: set ZENDESK_SUBDOMAIN and ZENDESK_OAUTH_TOKEN (or ZENDESK_EMAIL and "
    "ZENDESK_API_TOKEN) of an admin, the same settings the service reads"
)


@click.group()
def zendesk() -> None:
    """Install escalator into a Zendesk account, check it, remove it.

    They read the same settings as the service (ZENDESK_SUBDOMAIN, ZENDESK_OAUTH_TOKEN or
    ZENDESK_EMAIL + ZENDESK_API_TOKEN, ZENDESK_WEBHOOK_SECRET, REDIS_URL, ESCALATOR_POLICY), and
    need an admin's credentials. docs/admin.md explains every object they make.
    """


@zendesk.command()
@click.option("--url", required=True, help="The service's public address, e.g. https://acme-escalator.herokuapp.com")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default=EVENTS_MODE,
    show_default=True,
    help="events: the webhook subscribes to ticket events; trigger: three triggers call it "
    "(ticket created, public comment, solved or closed).",
)
@click.option("--fields", "extra", default="", help=f"Also make these ticket fields: {','.join(EXTRA_FIELDS)}.")
@click.option("--skip", default="", help=f"Leave these out: {','.join(SKIPPABLE)} (e.g. a plan without them).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read the account (GET requests only) to plan, print every write it would send, and write "
    "nothing. Without Zendesk credentials: plan against an empty account, sending no request at all.",
)
@click.option(
    "--write-env",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write ZENDESK_WEBHOOK_SECRET=... into this env file instead of printing it.",
)
def install(url: str, mode: str, extra: str, skip: str, dry_run: bool, write_env: Path | None) -> None:
    """Create (or bring up to date) the webhook, triggers, fields, schedule and SLA policies.

    Idempotent: it finds what it made by name and sends only what drifted; a second run with
    nothing changed sends no write. Prints ZENDESK_WEBHOOK_SECRET and the field ids for
    config/policy.toml.
    """
    from app.admin.install import InstallOptions, run_install

    options = InstallOptions(
        url=_checked_url(url),
        mode=mode,
        extra_fields=_names(extra, EXTRA_FIELDS, "--fields"),
        skip=frozenset(_names(skip, SKIPPABLE, "--skip")),
        dry_run=dry_run,
        write_env=write_env,
    )
    settings, policy = _settings_and_policy()
    api = _api(settings, required=not dry_run, read_only=dry_run)
    today = datetime.now(policy.hours.time_zone).date()
    sys.exit(_explained(lambda: run_install(api, policy, options, echo=click.echo, today=today)))


@zendesk.command()
@click.option("--url", default=None, help="The service's public address  [default: taken from the webhook]")
def doctor(url: str | None) -> None:
    """Check that everything is connected: one row per check, a fix for every failure.

    Exit status 0 when no check fails (WARN rows never fail), 1 otherwise.
    """
    from app.admin.doctor import exit_status, render, run_doctor
    from app.infra.queueing import connect

    checked_url = _checked_url(url) if url else None
    settings, policy = _settings_and_policy()
    api = _api(settings, required=False)
    now = utc_now()
    checks = run_doctor(
        settings=settings,
        policy=policy,
        url=checked_url,
        api=api,
        connect=connect,
        now=now,
        today=now.astimezone(policy.hours.time_zone).date(),
    )
    click.echo(render(checks))
    sys.exit(exit_status(checks))


@zendesk.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--keep-fields", is_flag=True, help="Deactivate the ticket fields instead of deleting them (keeps values)."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read the account (GET requests only), print every write it would send; write nothing.",
)
def uninstall(yes: bool, keep_fields: bool, dry_run: bool) -> None:
    """Remove what install made: triggers, SLA policies, webhook, fields, schedule."""
    from app.admin.uninstall import run_uninstall

    settings, _policy = _settings_and_policy()
    api = _api(settings, required=True, read_only=dry_run)
    assert api is not None

    def confirm(question: str) -> bool:
        return yes or click.confirm(question, default=False)

    sys.exit(
        _explained(
            lambda: run_uninstall(api, confirm=confirm, echo=click.echo, keep_fields=keep_fields, dry_run=dry_run)
        )
    )


def _checked_url(url: str) -> str:
    try:
        return service_url(url)
    except BadServiceUrl as error:
        raise click.BadParameter(str(error), param_hint="--url") from None


def _names(text: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in chosen if name not in allowed]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}; choose from {', '.join(allowed)}", param_hint=option)
    return chosen


def _settings_and_policy() -> tuple[Settings, Policy]:
    try:
        settings = Settings.from_env()
        return settings, load_policy(settings.policy_path)
    except (SettingsError, PolicyError) as error:
        click.echo(f"escalator: {error}", err=True)
        sys.exit(2)


def _api(settings: Settings, *, required: bool, read_only: bool = False) -> AdminZendesk | None:
    """The admin client; `read_only` for dry runs (anything but a GET is refused unsent)."""
    if settings.dry_run:  # no account configured
        if required:
            click.echo(f"escalator zendesk: {NO_CREDENTIALS}", err=True)
            sys.exit(2)
        return None
    return AdminZendesk(ZendeskClient.from_settings(settings), echo=click.echo, read_only=read_only)


def _explained(command: Callable[[], int]) -> int:
    """Run a command; an admin-facing failure is printed as such (no traceback), exit status 1."""
    try:
        status: int = command()
        return status
    except AdminError as error:
        click.echo(f"escalator zendesk: {error}", err=True)
    except ZendeskError as error:
        click.echo(f"escalator zendesk: {explain(error, 'reading the account')}", err=True)
    return 1
