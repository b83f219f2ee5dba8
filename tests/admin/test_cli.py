"""The `escalator zendesk` commands as an admin types them: settings from the environment."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.admin.conftest import SERVICE

ENV = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "admin-oauth-token", "ZENDESK_BASE_URL": ""}


@pytest.fixture
def run():
    def invoke(*args: str, env: dict | None = None, input: str | None = None):
        return CliRunner().invoke(main, ["zendesk", *args], env={**ENV, **(env or {})}, input=input)

    return invoke


def test_install_then_install_again(fake, run):
    first = run("install", "--url", SERVICE, "--mode", "trigger", "--fields", "category")
    assert first.exit_code == 0, first.output
    [hook_id] = fake.webhooks
    assert f"ZENDESK_WEBHOOK_SECRET={fake.secrets[hook_id]}" in first.output
    writes = fake.write_count

    second = run("install", "--url", SERVICE, "--mode", "trigger", "--fields", "category")

    assert second.exit_code == 0, second.output
    assert fake.write_count == writes
    assert "Nothing to change" in second.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "http://acme.test"], "--url must be https://<public host>"),
        (["--url", SERVICE, "--fields", "priority"], "priority; choose from urgency, category, deadline"),
        (["--url", SERVICE, "--skip", "webhook"], "webhook; choose from schedule, sla"),
    ],
)
def test_bad_options_are_refused_before_any_request(rsps, run, args, message):
    result = run("install", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    "unset",
    [{"ZENDESK_OAUTH_TOKEN": ""}, {"ZENDESK_SUBDOMAIN": "", "ZENDESK_OAUTH_TOKEN": ""}],
    ids=["no token", "no account at all"],
)
def test_install_needs_credentials_unless_it_is_a_dry_run(rsps, run, unset):
    result = run("install", "--url", SERVICE, env=unset)
    assert result.exit_code == 2
    assert "needs a Zendesk account: set ZENDESK_SUBDOMAIN and ZENDESK_OAUTH_TOKEN" in result.output

    dry = run("install", "--url", SERVICE, "--dry-run", "--fields", "deadline", env=unset)
    assert dry.exit_code == 0, dry.output
    assert "planning against an empty account; no request is sent" in dry.output
    assert "POST /api/v2/webhooks" in dry.output
    assert "# deadline_field_id = <id of new ticket_field 'escalator: deadline'>" in dry.output
    assert len(rsps.calls) == 0


def test_a_dry_run_with_credentials_only_reads(fake, rsps, run):
    result = run("install", "--url", SERVICE, "--mode", "trigger", "--dry-run")

    assert result.exit_code == 0, result.output
    assert fake.writes == []
    assert {call.request.method for call in rsps.calls} == {"GET"}
    assert f"the account was read with {len(rsps.calls)} GET request(s); no write was sent" in result.output
    assert "Dry run: the account is read (GET requests only" in result.output
    assert result.output.count("  read: GET /api/v2/") == len(rsps.calls)
    assert "  read: GET /api/v2/triggers?page[size]=100 (sent)" in result.output


def test_refusals_are_explained_not_dumped(fake, run):
    fake.interrupt["GET /api/v2/users/me"] = [(401, {}, {"error": "Couldn't authenticate you"})]
    result = run("install", "--url", SERVICE)
    assert result.exit_code == 1
    assert "Zendesk did not accept the credentials (401)" in result.output
    assert "Traceback" not in result.output


def test_doctor_prints_one_table_and_exits_1_on_a_failure(fake, rsps, run):
    run("install", "--url", SERVICE)
    rsps.get(SERVICE + "/healthz", status=502)

    result = run("doctor", "--url", SERVICE, env={"REDIS_URL": ""})

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].split() == ["CHECK", "RESULT", "DETAIL", "FIX"]
    assert any(line.startswith("service ") and " FAIL " in line for line in lines)
    assert any(line.startswith("redis ") and "REDIS_URL is not set here" in line for line in lines)


def test_uninstall_asks_first(fake, run):
    run("install", "--url", SERVICE)

    declined = run("uninstall", input="n\n")
    assert declined.exit_code == 1
    assert "Go ahead? [y/N]" in declined.output
    assert fake.webhooks

    accepted = run("uninstall", "--yes")
    assert accepted.exit_code == 0, accepted.output
    assert fake.webhooks == {} and fake.fields == {}
