"""Settings, read from the environment once and validated together (12-factor).

`Settings.from_env()` collects every problem before failing, so an admin sees one message listing
all missing or invalid settings. Secrets are never part of `repr` or `describe()`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from app import defaults
from app.infra.logs import LOG_FORMATS, LOG_LEVELS
from app.policy.config import default_policy_path

# The fixed secret Zendesk signs test deliveries with before a webhook exists.
ZENDESK_TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
# What `escalator serve` accepts when no secret is configured, and `escalator replay` signs with.
# Never accepted by the deployed app (`create_app` requires ZENDESK_WEBHOOK_SECRET).
LOCAL_DEV_SECRET = "escalator-local-development-secret"


MISSING_SECRET = (
    "ZENDESK_WEBHOOK_SECRET is required: the webhook's signing secret (comma-separate two during a rotation)"
)
MISSING_REDIS = "REDIS_URL is required (the embedded in-memory Redis is for `escalator serve` only)"


class SettingsError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None  # None: embedded in-memory Redis (escalator serve only)
    port: int = defaults.PORT
    queue_name: str = defaults.QUEUE_NAME
    zendesk_subdomain: str | None = None
    zendesk_base_url: str | None = None
    zendesk_oauth_token: str | None = field(default=None, repr=False)
    zendesk_email: str | None = None
    zendesk_api_token: str | None = field(default=None, repr=False)
    webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    allow_test_secret: bool = False
    signature_tolerance_seconds: int = defaults.SIGNATURE_TOLERANCE_SECONDS
    max_body_bytes: int = defaults.MAX_BODY_BYTES
    event_seen_ttl_seconds: int = defaults.EVENT_SEEN_TTL_SECONDS
    zendesk_requests_per_minute: int = defaults.ZENDESK_REQUESTS_PER_MINUTE
    # How a job that cannot be done now is retried (workers/retry_policy.py).
    retry_give_up_seconds: int = defaults.RETRY_GIVE_UP_SECONDS
    retry_backoff_base_seconds: int = defaults.RETRY_BACKOFF_BASE_SECONDS
    retry_backoff_cap_seconds: int = defaults.RETRY_BACKOFF_CAP_SECONDS
    policy_path: Path = field(default_factory=default_policy_path)
    # GET /jobs/<id> shows where a webhook's job is; on for `escalator serve`, off when deployed.
    expose_job_status: bool = False
    # A dry run logs the notes and request bodies it would send, which quote customer words: on
    # for `escalator serve` (you read what it would do), off for a deployed worker without an account.
    dry_run_show_text: bool = False
    # On-call: no routing key, no pages (the note then says a page is required but not configured).
    pagerduty_routing_key: str | None = field(default=None, repr=False)
    pagerduty_events_url: str = defaults.PAGERDUTY_EVENTS_URL
    slack_webhook_url: str | None = field(default=None, repr=False)  # the URL is the secret
    sla_watchdog_lead_minutes: int = defaults.SLA_WATCHDOG_LEAD_MINUTES  # 0: no watchdog
    # GET /metrics asks for `Authorization: Bearer <token>` when set.
    metrics_token: str | None = field(default=None, repr=False)
    sentry_dsn: str | None = field(default=None, repr=False)
    log_format: str = "auto"  # auto | json | console (app.infra.logs)
    log_level: str = defaults.LOG_LEVEL  # of escalator's own loggers (app.infra.logs.LOG_LEVELS)
    # gunicorn's processes and connections per process (config/gunicorn.conf.py).
    web_concurrency: int = defaults.WEB_CONCURRENCY
    worker_connections: int = defaults.WORKER_CONNECTIONS

    @property
    def zendesk_url(self) -> str | None:
        if self.zendesk_base_url:
            return self.zendesk_base_url.rstrip("/")
        if self.zendesk_subdomain:
            return f"https://{self.zendesk_subdomain}.zendesk.com"
        return None

    @property
    def has_zendesk_credentials(self) -> bool:
        return bool(self.zendesk_oauth_token or (self.zendesk_email and self.zendesk_api_token))

    @property
    def dry_run(self) -> bool:
        """No Zendesk account configured: log the requests we would send instead."""
        return not (self.zendesk_url and self.has_zendesk_credentials)

    @property
    def paging_enabled(self) -> bool:
        return bool(self.pagerduty_routing_key)

    @property
    def accepted_secrets(self) -> tuple[str, ...]:
        return self.webhook_secrets + ((ZENDESK_TEST_SECRET,) if self.allow_test_secret else ())

    def describe(self) -> dict:
        """A loggable summary: what is configured, never the secrets themselves."""
        return {
            "redis": "embedded" if not self.redis_url else self.redis_url.split("@")[-1],
            "queue": self.queue_name,
            "zendesk": self.zendesk_url or "none (dry run)",
            "zendesk_auth": "oauth" if self.zendesk_oauth_token else "api_token" if self.zendesk_api_token else "none",
            "dry_run": self.dry_run,
            "webhook_secrets": len(self.webhook_secrets),
            "allow_test_secret": self.allow_test_secret,
            "policy": str(self.policy_path),
            "paging": urlsplit(self.pagerduty_events_url).netloc if self.paging_enabled else "off",
            "slack": "on" if self.slack_webhook_url else "off",
            "sla_watchdog_lead_minutes": self.sla_watchdog_lead_minutes or "off",
            "metrics_token": bool(self.metrics_token),
            "sentry": bool(self.sentry_dsn),
        }

    @classmethod
    def from_env(
        cls, env: dict[str, str] | None = None, *, require_redis: bool = False, require_secret: bool = False
    ) -> Settings:
        env = dict(os.environ if env is None else env)
        problems: list[str] = []
        reader = _Reader(env, problems)

        redis_url = reader.text("REDIS_URL")
        if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            problems.append("REDIS_URL must start with redis://, rediss:// or unix://")
        if require_redis and not redis_url:
            problems.append(MISSING_REDIS)

        oauth = reader.text("ZENDESK_OAUTH_TOKEN")
        email = reader.text("ZENDESK_EMAIL")
        api_token = reader.text("ZENDESK_API_TOKEN")
        if bool(email) != bool(api_token):
            problems.append("ZENDESK_EMAIL and ZENDESK_API_TOKEN go together: set both or neither")
        subdomain = reader.text("ZENDESK_SUBDOMAIN")
        base_url = reader.text("ZENDESK_BASE_URL")
        if base_url and not base_url.startswith(("http://", "https://")):
            problems.append("ZENDESK_BASE_URL must be an http:// or https:// URL")
        if (oauth or api_token) and not (subdomain or base_url):
            problems.append("ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL) is required with Zendesk credentials")
        if subdomain and not subdomain.replace("-", "").isalnum():
            problems.append("ZENDESK_SUBDOMAIN must be the bare subdomain, e.g. 'acme' for acme.zendesk.com")

        secrets = parse_secret_list(reader.text("ZENDESK_WEBHOOK_SECRET"))
        allow_test_secret = reader.flag("ESCALATOR_ALLOW_TEST_SECRET")
        if require_secret and not (secrets or allow_test_secret):
            problems.append(MISSING_SECRET)

        policy_path = Path(reader.text("ESCALATOR_POLICY") or default_policy_path())
        if not policy_path.is_file():
            problems.append(
                f"ESCALATOR_POLICY: no policy file at {policy_path} (set it, or run from the "
                "project folder, which has config/policy.toml)"
            )

        routing_key = reader.text("PAGERDUTY_ROUTING_KEY")
        if routing_key and not _ROUTING_KEY.fullmatch(routing_key):
            # The length only: the key itself is a secret and never goes into a message.
            problems.append(
                f"PAGERDUTY_ROUTING_KEY must be the {defaults.PAGERDUTY_ROUTING_KEY_LENGTH}-character "
                f"integration key of an Events API v2 integration (letters and digits; this one has "
                f"{len(routing_key)} characters)"
            )
        events_url = reader.text("PAGERDUTY_EVENTS_URL") or defaults.PAGERDUTY_EVENTS_URL
        if not _is_http_url(events_url):
            problems.append(
                "PAGERDUTY_EVENTS_URL must be the full http:// or https:// enqueue URL, "
                f"e.g. {defaults.PAGERDUTY_EVENTS_URL}"
            )
        slack_url = reader.text("SLACK_WEBHOOK_URL")
        if slack_url and not _is_http_url(slack_url):
            problems.append("SLACK_WEBHOOK_URL must be the webhook's https:// URL (Slack app > Incoming Webhooks)")
        sentry_dsn = reader.text("SENTRY_DSN")
        if sentry_dsn and not sentry_dsn.startswith(("https://", "http://")):
            problems.append("SENTRY_DSN must be the https:// DSN Sentry shows under Client Keys")
        log_format = (reader.text("ESCALATOR_LOG_FORMAT") or "auto").lower()
        if log_format not in LOG_FORMATS:
            problems.append(f"ESCALATOR_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
            log_format = "auto"
        log_level = (reader.text("ESCALATOR_LOG_LEVEL") or defaults.LOG_LEVEL).upper()
        if log_level not in LOG_LEVELS:
            problems.append(f"ESCALATOR_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
            log_level = defaults.LOG_LEVEL
        backoff_base = reader.integer(
            "ESCALATOR_RETRY_BACKOFF_BASE_SECONDS", defaults.RETRY_BACKOFF_BASE_SECONDS, 1, 60
        )
        backoff_cap = reader.integer("ESCALATOR_RETRY_BACKOFF_CAP_SECONDS", defaults.RETRY_BACKOFF_CAP_SECONDS, 1, 3600)
        if backoff_cap < backoff_base:
            problems.append(
                "ESCALATOR_RETRY_BACKOFF_CAP_SECONDS must not be below ESCALATOR_RETRY_BACKOFF_BASE_SECONDS"
            )

        settings = cls(
            redis_url=redis_url,
            port=reader.integer("PORT", defaults.PORT, 1, 65535),
            queue_name=reader.text("ESCALATOR_QUEUE") or defaults.QUEUE_NAME,
            zendesk_subdomain=subdomain,
            zendesk_base_url=base_url,
            zendesk_oauth_token=oauth,
            zendesk_email=email,
            zendesk_api_token=api_token,
            webhook_secrets=secrets,
            allow_test_secret=allow_test_secret,
            signature_tolerance_seconds=reader.integer(
                "ESCALATOR_SIGNATURE_TOLERANCE_SECONDS", defaults.SIGNATURE_TOLERANCE_SECONDS, 1, 86400
            ),
            max_body_bytes=reader.integer("ESCALATOR_MAX_BODY_BYTES", defaults.MAX_BODY_BYTES, 1024, 10 * 1024 * 1024),
            event_seen_ttl_seconds=reader.integer(
                "ESCALATOR_EVENT_SEEN_TTL_SECONDS", defaults.EVENT_SEEN_TTL_SECONDS, 60, 90 * 86400
            ),
            zendesk_requests_per_minute=reader.integer(
                "ZENDESK_REQUESTS_PER_MINUTE", defaults.ZENDESK_REQUESTS_PER_MINUTE, 1, 2500
            ),
            retry_give_up_seconds=reader.integer(
                "ESCALATOR_RETRY_GIVE_UP_SECONDS", defaults.RETRY_GIVE_UP_SECONDS, 10, 30 * 86400
            ),
            retry_backoff_base_seconds=backoff_base,
            retry_backoff_cap_seconds=backoff_cap,
            policy_path=policy_path,
            expose_job_status=reader.flag("ESCALATOR_EXPOSE_JOB_STATUS"),
            dry_run_show_text=reader.flag("ESCALATOR_DRY_RUN_SHOW_TEXT"),
            pagerduty_routing_key=routing_key,
            pagerduty_events_url=events_url,
            slack_webhook_url=slack_url,
            sla_watchdog_lead_minutes=reader.integer(
                "ESCALATOR_SLA_WATCHDOG_LEAD_MINUTES", defaults.SLA_WATCHDOG_LEAD_MINUTES, 0, 24 * 60
            ),
            metrics_token=reader.text("ESCALATOR_METRICS_TOKEN"),
            sentry_dsn=sentry_dsn,
            log_format=log_format,
            log_level=log_level,
            web_concurrency=reader.integer(
                "WEB_CONCURRENCY", defaults.WEB_CONCURRENCY, 1, defaults.WEB_CONCURRENCY_MAX
            ),
            worker_connections=reader.integer(
                "GUNICORN_WORKER_CONNECTIONS", defaults.WORKER_CONNECTIONS, 1, defaults.WORKER_CONNECTIONS_MAX
            ),
        )
        if problems:
            raise SettingsError(problems)
        return settings


_ROUTING_KEY = re.compile(rf"[A-Za-z0-9]{{{defaults.PAGERDUTY_ROUTING_KEY_LENGTH}}}")


def _is_http_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def parse_secret_list(text: str | None) -> tuple[str, ...]:
    """`old,new` -> ("old", "new"): ZENDESK_WEBHOOK_SECRET holds two secrets during a rotation."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


class _Reader:
    def __init__(self, env: dict[str, str], problems: list[str]):
        self.env = env
        self.problems = problems

    def text(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def flag(self, name: str) -> bool:
        value = (self.text(name) or "false").lower()
        if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            self.problems.append(f"{name} must be true or false, not {value!r}")
        return value in ("1", "true", "yes", "on")

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{name} must be a whole number, not {raw!r}")
            return default
        if not low <= value <= high:
            self.problems.append(f"{name} must be between {low} and {high}, not {value}")
            return default
        return value
