from pathlib import Path

import pytest

from app.infra.settings import LOCAL_DEV_SECRET, ZENDESK_TEST_SECRET, Settings, SettingsError


def test_defaults_need_nothing_and_run_dry():
    settings = Settings.from_env({})
    assert settings.redis_url is None
    assert settings.port == 8000
    assert settings.dry_run
    assert settings.accepted_secrets == ()
    assert settings.policy_path.name == "policy.toml"


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "REDIS_URL": "localhost:6379",
                "PORT": "eighty",
                "ZENDESK_EMAIL": "agent@example.com",
                "ZENDESK_OAUTH_TOKEN": "tok",
                "ESCALATOR_POLICY": "/nowhere/policy.toml",
                "ESCALATOR_ALLOW_TEST_SECRET": "maybe",
            },
            require_secret=True,
        )
    problems = caught.value.problems
    assert len(problems) == 7
    text = str(caught.value)
    for name in (
        "REDIS_URL",
        "PORT",
        "ZENDESK_EMAIL and ZENDESK_API_TOKEN",
        "ZENDESK_SUBDOMAIN",
        "ESCALATOR_POLICY",
        "ESCALATOR_ALLOW_TEST_SECRET",
        "ZENDESK_WEBHOOK_SECRET",
    ):
        assert name in text
    assert "tok" not in text


def test_required_redis_for_the_deployed_processes():
    with pytest.raises(SettingsError, match="REDIS_URL is required"):
        Settings.from_env({"ZENDESK_WEBHOOK_SECRET": "s"}, require_redis=True)


def test_secrets_are_split_for_rotation_and_never_shown():
    settings = Settings.from_env(
        {
            "ZENDESK_WEBHOOK_SECRET": "old-secret, new-secret",
            "ZENDESK_SUBDOMAIN": "acme",
            "ZENDESK_OAUTH_TOKEN": "oauth-token-value",
        }
    )
    assert settings.webhook_secrets == ("old-secret", "new-secret")
    assert settings.zendesk_url == "https://acme.zendesk.com"
    assert not settings.dry_run
    shown = repr(settings) + str(settings.describe())
    for secret in ("old-secret", "new-secret", "oauth-token-value"):
        assert secret not in shown


def test_base_url_overrides_subdomain_and_api_token_auth():
    settings = Settings.from_env(
        {
            "ZENDESK_SUBDOMAIN": "acme",
            "ZENDESK_BASE_URL": "http://127.0.0.1:9999/",
            "ZENDESK_EMAIL": "bot@acme.test",
            "ZENDESK_API_TOKEN": "t",
        }
    )
    assert settings.zendesk_url == "http://127.0.0.1:9999"
    assert settings.describe()["zendesk_auth"] == "api_token"


def test_test_secret_only_when_allowed():
    assert ZENDESK_TEST_SECRET not in Settings.from_env({"ZENDESK_WEBHOOK_SECRET": "s"}).accepted_secrets
    allowed = Settings.from_env({"ESCALATOR_ALLOW_TEST_SECRET": "true"}, require_secret=True)
    assert allowed.accepted_secrets == (ZENDESK_TEST_SECRET,)
    assert LOCAL_DEV_SECRET not in allowed.accepted_secrets


def test_rediss_url_gets_no_certificate_check():
    from app.infra.queueing import connect

    connection = connect("rediss://:pw@example.invalid:6380/0")
    kwargs = connection.connection_pool.connection_kwargs
    assert kwargs["ssl_cert_reqs"] is None


def test_policy_path_from_env(tmp_path: Path):
    policy = tmp_path / "p.toml"
    policy.write_text("")
    assert Settings.from_env({"ESCALATOR_POLICY": str(policy)}).policy_path == policy


ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"


def test_on_call_settings_default_to_off_with_the_documented_url():
    settings = Settings.from_env({})
    assert not settings.paging_enabled
    assert settings.pagerduty_events_url == "https://events.pagerduty.com/v2/enqueue"
    assert settings.slack_webhook_url is None
    assert settings.sla_watchdog_lead_minutes == 15
    assert settings.describe()["paging"] == "off"
    assert settings.describe()["slack"] == "off"


def test_on_call_settings_are_read_and_their_secrets_never_shown():
    slack = "https://hooks.slack.com/services/T000/B000/secretpart"
    settings = Settings.from_env(
        {
            "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
            "PAGERDUTY_EVENTS_URL": "http://127.0.0.1:8080/v2/enqueue",
            "SLACK_WEBHOOK_URL": slack,
            "ESCALATOR_SLA_WATCHDOG_LEAD_MINUTES": "0",
        }
    )
    assert settings.paging_enabled
    assert settings.pagerduty_routing_key == ROUTING_KEY
    assert settings.pagerduty_events_url == "http://127.0.0.1:8080/v2/enqueue"
    assert settings.slack_webhook_url == slack
    assert settings.sla_watchdog_lead_minutes == 0
    shown = repr(settings) + str(settings.describe())
    assert ROUTING_KEY not in shown and "secretpart" not in shown
    assert settings.describe()["paging"] == "127.0.0.1:8080"
    assert settings.describe()["slack"] == "on"
    assert settings.describe()["sla_watchdog_lead_minutes"] == "off"


def test_bad_on_call_settings_are_named_without_their_values():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "PAGERDUTY_ROUTING_KEY": "short-secret-key",
                "PAGERDUTY_EVENTS_URL": "events.pagerduty.com/v2/enqueue",
                "SLACK_WEBHOOK_URL": "hooks.slack.com/services/secretpart",
                "ESCALATOR_SLA_WATCHDOG_LEAD_MINUTES": "-5",
            }
        )
    text = str(caught.value)
    assert len(caught.value.problems) == 4
    for name in (
        "PAGERDUTY_ROUTING_KEY",
        "PAGERDUTY_EVENTS_URL",
        "SLACK_WEBHOOK_URL",
        "ESCALATOR_SLA_WATCHDOG_LEAD_MINUTES",
    ):
        assert name in text
    assert "16 characters" in text
    assert "short-secret-key" not in text and "secretpart" not in text


def test_observability_settings_are_validated_and_the_secrets_never_shown():
    settings = Settings.from_env(
        {
            "ESCALATOR_METRICS_TOKEN": "metrics-token-value",
            "SENTRY_DSN": "https://key@o1.ingest.sentry.io/2",
            "ESCALATOR_LOG_FORMAT": "JSON",
        }
    )
    assert (settings.metrics_token, settings.log_format) == ("metrics-token-value", "json")
    shown = repr(settings) + str(settings.describe())
    assert "metrics-token-value" not in shown and "key@" not in shown
    assert settings.describe()["metrics_token"] is True and settings.describe()["sentry"] is True
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"ESCALATOR_LOG_FORMAT": "xml", "SENTRY_DSN": "key@sentry"})
    assert len(caught.value.problems) == 2
    assert "ESCALATOR_LOG_FORMAT" in str(caught.value) and "SENTRY_DSN" in str(caught.value)


def test_the_retry_policy_is_configurable_and_checked():
    settings = Settings.from_env(
        {
            "ESCALATOR_RETRY_GIVE_UP_SECONDS": "172800",
            "ESCALATOR_RETRY_BACKOFF_BASE_SECONDS": "2",
            "ESCALATOR_RETRY_BACKOFF_CAP_SECONDS": "600",
        }
    )
    assert (
        settings.retry_give_up_seconds,
        settings.retry_backoff_base_seconds,
        settings.retry_backoff_cap_seconds,
    ) == (
        172800,
        2,
        600,
    )
    assert Settings.from_env({}).retry_give_up_seconds >= 24 * 3600  # a day at least, by default
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"ESCALATOR_RETRY_BACKOFF_BASE_SECONDS": "30", "ESCALATOR_RETRY_BACKOFF_CAP_SECONDS": "10"})
    assert raised.value.problems == [
        "ESCALATOR_RETRY_BACKOFF_CAP_SECONDS must not be below ESCALATOR_RETRY_BACKOFF_BASE_SECONDS"
    ]


def test_the_web_server_and_log_level_settings_are_read():
    settings = Settings.from_env(
        {"PORT": "5001", "WEB_CONCURRENCY": "4", "GUNICORN_WORKER_CONNECTIONS": "250", "ESCALATOR_LOG_LEVEL": "debug"}
    )
    assert (settings.port, settings.web_concurrency, settings.worker_connections, settings.log_level) == (
        5001,
        4,
        250,
        "DEBUG",
    )
    defaults = Settings.from_env({})
    assert (defaults.port, defaults.web_concurrency, defaults.worker_connections, defaults.log_level) == (
        8000,
        2,
        1000,
        "INFO",
    )


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("WEB_CONCURRENCY", "abc", "WEB_CONCURRENCY must be a whole number, not 'abc'"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY must be between 1 and 64, not 0"),
        ("GUNICORN_WORKER_CONNECTIONS", "lots", "GUNICORN_WORKER_CONNECTIONS must be a whole number, not 'lots'"),
        ("GUNICORN_WORKER_CONNECTIONS", "-5", "GUNICORN_WORKER_CONNECTIONS must be between 1 and 100000, not -5"),
        ("PORT", "http", "PORT must be a whole number, not 'http'"),
        ("PORT", "70000", "PORT must be between 1 and 65535, not 70000"),
        (
            "ESCALATOR_LOG_LEVEL",
            "verbose",
            "ESCALATOR_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'VERBOSE'",
        ),
    ],
)
def test_a_bad_web_server_or_log_level_setting_is_named_with_what_it_may_be(name, value, problem):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value})
    assert raised.value.problems == [problem]


def test_a_dry_run_shows_customer_text_only_when_asked():
    assert Settings.from_env({}).dry_run_show_text is False
    assert Settings.from_env({"ESCALATOR_DRY_RUN_SHOW_TEXT": "true"}).dry_run_show_text is True
