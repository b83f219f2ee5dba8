"""`escalator backtest`: what the policy would have done on past tickets, beside what the team did."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import redis

from app import defaults
from app.backtest.charts import MISSING_LIBRARY
from app.backtest.history import HistoryError
from app.backtest.limits import GaveUp, PacedReader, shared_share_per_minute
from app.backtest.run import BacktestError, Options, parse_moment, run_backtest
from app.backtest.summary import summary_lines
from app.backtest.zendesk_export import ExportError
from app.infra.queueing import connect
from app.infra.settings import Settings, SettingsError
from app.policy import PolicyError, load_policy
from app.zendesk.client import ZendeskClient
from app.zendesk.errors import AuthFailed, ZendeskError
from workers.rate_limit import TokenBucket

HELP = """Replay past tickets through the policy and write a report: what it would have decided
for each ticket creation and end-user comment (the worker's own rules: never lower, the ticket's
category remembered), beside the priorities agents and rules actually set.

\b
Tickets come from the Zendesk account in the service's settings (ZENDESK_SUBDOMAIN and its
credentials, which must be an admin's: the incremental exports are admin only), or with --input
from a JSON Lines file (docs/backtest.md has the format; a sample ships as
app/samples/backtest_tickets.jsonl). Only tickets created in the window are replayed.

\b
Writes OUT/index.html (tables and charts, no scripts, nothing loaded from the network),
OUT/decisions.jsonl (one decision per line) and, from the account, OUT/tickets.jsonl (the tickets
read, in the --input format). Prints a summary with counts only.

\b
Reading the account keeps to Zendesk's limit on its export endpoints (--export-per-minute) and
uses at most --max-share of ZENDESK_REQUESTS_PER_MINUTE in all, so the live service keeps the
rest. With REDIS_URL (the service's Redis), each request also takes a token from the budget the
workers share, so workers and backtest together never exceed ZENDESK_REQUESTS_PER_MINUTE;
without it the backtest cannot see the workers' requests and only paces itself (it says so).
A 429 waits for its Retry-After. Interrupted (Ctrl-C, an outage), the same command continues
where it stopped. Tickets handled only by Zendesk's AI agents are not in the exports.

\b
Examples:
  escalator backtest --since 2026-10-01 --until 2026-11-01 --out report/
  escalator backtest --input app/samples/backtest_tickets.jsonl --out /tmp/report

\b
Exit codes: 0 done; 1 stopped part way (run the same command to continue); 2 bad usage, input
or settings.
"""


@click.command("backtest", help=HELP)
@click.option("--since", help="First day (YYYY-MM-DD, midnight in the policy's time zone) or ISO 8601 time.")
@click.option("--until", help="End of the window, excluded  [default: now, less Zendesk's one-minute lag]")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(defaults.BACKTEST_OUT_DIR),
    show_default=True,
    help="Folder for the report and the run's saved progress.",
)
@click.option(
    "--input",
    "input_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read tickets from this JSON Lines file instead of the account.",
)
@click.option(
    "--policy",
    "policy_path",
    envvar="ESCALATOR_POLICY",
    type=click.Path(dir_okay=False),
    help="Policy file  [default: $ESCALATOR_POLICY, else config/policy.toml]",
)
@click.option(
    "--webhook-mode",
    type=click.Choice(["event", "trigger"]),
    default="event",
    show_default=True,
    help="How Zendesk would reach the service, for counting the API calls it would make.",
)
@click.option(
    "--max-share",
    type=click.FloatRange(0.01, 1.0),
    default=defaults.BACKTEST_MAX_SHARE,
    show_default=True,
    help="Most of ZENDESK_REQUESTS_PER_MINUTE the backtest may use.",
)
@click.option(
    "--export-per-minute",
    type=click.IntRange(1, 100),
    default=defaults.BACKTEST_EXPORT_REQUESTS_PER_MINUTE,
    show_default=True,
    help="Zendesk's limit on its export endpoints (30 with the High Volume add-on).",
)
@click.option("--restart", is_flag=True, help="Forget the progress saved in --out and start again.")
def backtest(
    since: str | None,
    until: str | None,
    out: Path,
    input_path: Path | None,
    policy_path: str | None,
    webhook_mode: str,
    max_share: float,
    export_per_minute: int,
    restart: bool,
) -> None:
    _require_report_libraries()  # now, not after an hour of export
    try:
        policy = load_policy(policy_path)
    except PolicyError as error:
        raise click.UsageError(str(error)) from None
    if input_path is None and since is None:
        raise click.UsageError("--since is required when reading the account (or give --input FILE)")
    try:
        zone = policy.hours.time_zone
        options = Options(
            out=out,
            policy=policy,
            mode=webhook_mode,
            since=parse_moment(since, zone) if since else None,
            until=parse_moment(until, zone) if until else None,
            input_path=input_path,
            restart=restart,
        )
    except BacktestError as error:
        raise click.UsageError(str(error)) from None
    reader = None if input_path else _account_reader(max_share, export_per_minute)
    _run(options, reader)


def _require_report_libraries() -> None:
    try:
        import matplotlib  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError:
        raise click.UsageError(MISSING_LIBRARY) from None


def _account_reader(max_share: float, export_per_minute: int) -> Callable[[], PacedReader]:
    """A function making the paced reader of the account in the service's settings."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.UsageError(str(error)) from None
    if not (settings.zendesk_url and settings.has_zendesk_credentials):
        raise click.UsageError(
            "reading the account needs the service's Zendesk settings: ZENDESK_SUBDOMAIN and "
            "ZENDESK_OAUTH_TOKEN (or ZENDESK_EMAIL and ZENDESK_API_TOKEN); or give --input FILE"
        )
    shared = shared_share_per_minute(settings.zendesk_requests_per_minute, max_share)
    budget = _shared_budget(settings, shared)

    def make() -> PacedReader:
        client = ZendeskClient.from_settings(settings)
        return PacedReader(
            client, export_per_minute=min(export_per_minute, shared), shared_per_minute=shared, shared_budget=budget
        )

    return make


def _shared_budget(settings: Settings, share: int) -> TokenBucket | None:
    """The workers' token bucket in the service's Redis, or None without REDIS_URL; says which, once."""
    total = settings.zendesk_requests_per_minute
    if not settings.redis_url:
        click.echo(
            f"escalator backtest: REDIS_URL is not set, so the backtest cannot draw from the budget the "
            f"workers share: it keeps to {share} requests a minute of its own, and a running service's "
            f"requests come on top. Set REDIS_URL to the service's Redis to stay within "
            f"ZENDESK_REQUESTS_PER_MINUTE ({total}) together.",
            err=True,
        )
        return None
    connection = connect(settings.redis_url)
    try:
        connection.ping()
    except redis.RedisError as error:
        raise click.UsageError(
            f"REDIS_URL is set but Redis does not answer ({type(error).__name__}): the backtest takes its "
            "requests from the budget the workers share there. Fix REDIS_URL, or unset it here to pace "
            "the backtest on its own."
        ) from None
    click.echo(
        f"escalator backtest: at most {share} requests a minute, each taken from the budget the workers "
        f"share in Redis ({settings.describe()['redis']}): together they stay within "
        f"ZENDESK_REQUESTS_PER_MINUTE ({total}).",
        err=True,
    )
    # Built as the workers build theirs (workers/process.py), so both see one bucket of one size.
    return TokenBucket(connection, total)


def _run(options: Options, reader: Callable[[], PacedReader] | None) -> None:
    resume = f"progress is saved in {options.out}; run the same command again to continue"
    try:
        outcome = run_backtest(options, progress=progress_bar, reader=reader)
    except (HistoryError, BacktestError) as error:
        click.echo(f"escalator backtest: {error}", err=True)
        sys.exit(2)
    except AuthFailed as error:
        click.echo(
            f"escalator backtest: Zendesk refused the credentials ({error}); the exports need an admin", err=True
        )
        sys.exit(2)
    except (GaveUp, ExportError, ZendeskError) as error:
        click.echo(f"escalator backtest: stopped: {error}; {resume}", err=True)
        sys.exit(1)
    except redis.RedisError as error:
        click.echo(f"escalator backtest: stopped: Redis failed ({type(error).__name__}); {resume}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(f"\nescalator backtest: interrupted; {resume}", err=True)
        sys.exit(1)
    for line in summary_lines(outcome, options.out):
        click.echo(line)


def progress_bar(what: str, total: float | None) -> Any:
    """A progress bar on standard error with the time left; nothing when that is not a terminal."""
    from tqdm import tqdm

    bar_format = "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]{postfix}" if total else None
    return tqdm(total=total, desc=what, disable=None, bar_format=bar_format, dynamic_ncols=True, leave=True)
