"""Fixtures for the policy engine tests: the shipped policy, variants of it, and a ticket maker."""

from __future__ import annotations

import copy
import tomllib
from datetime import datetime

import pytest

from app.policy.config import DEFAULT_POLICY_PATH, Policy, load_policy, policy_from_dict
from app.policy.model import TicketText

MONDAY_11_ET = "2026-11-30T16:00:00Z"  # inside business hours


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def raw_policy() -> dict:
    return tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def policy_with(raw_policy):
    """policy_with(hours={"holidays": ["2026-12-25"]}): the shipped policy with keys replaced."""

    def make(**sections: dict) -> Policy:
        raw = copy.deepcopy(raw_policy)
        for section, values in sections.items():
            raw[section].update(values)
        return policy_from_dict(raw, source="test")

    return make


def make_ticket(
    body: str = "", subject: str = "", event: str = "created", at: str = MONDAY_11_ET, **options
) -> TicketText:
    return TicketText(event=event, subject=subject, body=body, received_at=datetime.fromisoformat(at), **options)


@pytest.fixture
def ticket():
    return make_ticket
