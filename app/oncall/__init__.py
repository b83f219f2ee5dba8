"""On-call: PagerDuty pages and Slack notices for urgent tickets (POLICY.md section 4).

`page_events` builds the Events API v2 bodies (pure), `pagerduty` and `slack` send them with
typed errors (`errors`) and never wait or retry themselves: the worker's jobs do.
"""

from __future__ import annotations

from app.infra.settings import Settings
from app.oncall.pagerduty import DryRunPagerDuty, Pager, PagerDutyEvents
from app.oncall.slack import SlackWebhook


def make_pager(settings: Settings) -> Pager | None:
    """PagerDuty when a routing key is configured (None: paging is off); in a dry run (no Zendesk
    account) the stand-in that logs the page instead, so sample tickets never wake anyone."""
    if not settings.pagerduty_routing_key:
        return None
    if settings.dry_run:
        return DryRunPagerDuty(settings.pagerduty_events_url)
    return PagerDutyEvents(settings.pagerduty_routing_key, settings.pagerduty_events_url)


def make_slack(settings: Settings) -> SlackWebhook | None:
    """The Slack webhook when one is configured, and not in a dry run."""
    if not settings.slack_webhook_url or settings.dry_run:
        return None
    return SlackWebhook(settings.slack_webhook_url)
