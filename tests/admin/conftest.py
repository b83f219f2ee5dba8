"""Fixtures for the admin commands: a fake Zendesk account behind `responses`, the admin client."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import responses

from app.admin.zendesk_api import AdminZendesk
from app.policy import Policy, load_policy
from app.zendesk.client import ZendeskClient
from tests.admin.fake_zendesk import FakeZendesk
from tests.zendesk.factories import BASE_URL

TODAY = date(2026, 11, 27)
TOKEN = "admin-oauth-token"
SERVICE = "https://acme-escalator.example.com"


@pytest.fixture
def rsps():
    """Strict: a request nothing is registered for fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake(rsps) -> FakeZendesk:
    account = FakeZendesk(today=TODAY).register(rsps)
    yield account
    assert account.unexpected == [], f"requests to endpoints Zendesk does not have: {account.unexpected}"
    assert account.violations == [], f"requests their API reference does not document: {account.violations}"


class Echo(list):
    """Collects what a command prints, one entry per call."""

    def __call__(self, line: str) -> None:
        self.append(line)

    @property
    def text(self) -> str:
        return "\n".join(self)


@pytest.fixture
def echo() -> Echo:
    return Echo()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def api(echo, sleeps) -> AdminZendesk:
    return AdminZendesk(ZendeskClient(BASE_URL, oauth_token=TOKEN), echo=echo, sleep=sleeps.append)


@pytest.fixture
def policy() -> Policy:
    """The shipped policy, with two holidays in Zendesk's range and one far in the past."""
    shipped = load_policy()
    holidays = frozenset({date(2026, 12, 25), date(2027, 1, 1), date(2019, 1, 1)})
    return replace(shipped, hours=replace(shipped.hours, holidays=holidays))


def with_fields(policy: Policy, **ids) -> Policy:
    return replace(policy, zendesk=replace(policy.zendesk, **ids))
