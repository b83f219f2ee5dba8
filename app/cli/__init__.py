"""The `escalator` command: serve, worker, replay, classify, backtest, zendesk (install, doctor,
uninstall)."""

from __future__ import annotations

import sys

import click

from app.cli.backtest import backtest
from app.cli.classify import classify
from app.cli.zendesk import zendesk
from app.infra.settings import Settings, SettingsError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Enforce a support team's urgency policy inside Zendesk."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=None, help="Port to listen on  [default: $PORT or 8000]")
def serve(host: str, port: int | None) -> None:
    """Run the web app and a worker in one process.

    With no REDIS_URL it uses an in-memory Redis; with no Zendesk credentials it runs in dry-run
    mode and logs the requests it would send. With no ZENDESK_WEBHOOK_SECRET it accepts webhooks
    signed with a local development secret, which `escalator replay` uses by default.
    """
    from app.cli.serve import run_embedded

    settings = _settings_or_exit()
    run_embedded(settings, host=host, port=port or settings.port)


@main.command()
def worker() -> None:
    """Run the RQ worker (needs REDIS_URL): scheduler on, JSON jobs, clean SIGTERM on Heroku."""
    from workers.process import run_worker

    settings = _settings_or_exit(require_redis=True)
    run_worker(settings)


@main.command()
@click.argument("payloads", nargs=-1, required=True)
@click.option("--url", default=None, help="Webhook URL  [default: http://127.0.0.1:$PORT/webhooks/zendesk]")
@click.option(
    "--secret",
    default=None,
    help="Signing secret  [default: first of ZENDESK_WEBHOOK_SECRET, else the local dev secret]",
)
@click.option(
    "--fresh-id/--keep-id",
    default=False,
    help="Send each payload as a new event on a new ticket (new event, ticket and comment "
    "ids), so neither the endpoint nor the worker treats it as a duplicate.",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=float,
    default=0,
    help="Seconds to wait for each job to finish; also prints the job's status and result "
    "(needs a service that shows job status, as escalator serve does).",
)
def replay(payloads: tuple[str, ...], url: str | None, secret: str | None, fresh_id: bool, wait_seconds: float) -> None:
    """Sign webhook PAYLOADS as Zendesk does and POST them to a running service.

    Each PAYLOAD is a JSON file, or the name of a shipped sample (see app/samples/), e.g.
    `escalator replay ticket_created__urgent_incident`. Prints one line per payload: the HTTP
    status and the service's answer (with --wait, then the job's). Exits 1 when any payload was
    not accepted.
    """
    from app.cli.replay import replay_files

    sys.exit(
        replay_files(payloads, url=url, secret=secret, fresh_id=fresh_id, wait_seconds=wait_seconds, echo=click.echo)
    )


def _settings_or_exit(*, require_redis: bool = False) -> Settings:
    """Settings from the environment; on error, the one message listing every problem, exit 2."""
    try:
        return Settings.from_env(require_redis=require_redis)
    except SettingsError as error:
        click.echo(f"escalator: {error}", err=True)
        sys.exit(2)


main.add_command(classify)
main.add_command(zendesk)
main.add_command(backtest)
