"""What can go wrong sending a notice (a PagerDuty event or a Slack message), one exception per
thing the job does differently. Messages name the vendor, the status and the vendor's short error
text; never the routing key, the webhook URL or the notice's text."""

from __future__ import annotations


class NoticeError(Exception):
    def __init__(self, message: str, vendor: str, status: int | None = None):
        super().__init__(message)
        self.vendor = vendor
        self.status = status


class NoticeRateLimited(NoticeError):
    """429: try again in `retry_after` seconds (the vendor's Retry-After, else our default)."""

    def __init__(self, message: str, vendor: str, retry_after: float, status: int = 429):
        super().__init__(message, vendor, status)
        self.retry_after = retry_after


class NoticeUnavailable(NoticeError):
    """5xx, a timeout or a connection error: try again later."""


class NoticeRejected(NoticeError):
    """400 and other refusals: the same request will be refused again (a bad routing key, a
    deleted webhook). Not retried; fix the setting, then requeue the failed job."""
