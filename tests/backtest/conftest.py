"""Fixtures for the backtest tests: the shipped policy and sample, a quiet progress bar."""

from __future__ import annotations

import copy
import os
import tempfile
import tomllib
from pathlib import Path

import pytest

from app.policy import load_policy
from app.policy.config import DEFAULT_POLICY_PATH, policy_from_dict
from tests.helpers import SAMPLES

# matplotlib writes a font cache; give it a folder of its own (a read-only HOME makes it warn,
# and warnings are errors here). Set before anything imports matplotlib.
os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="escalator-mpl-"))

SAMPLE = SAMPLES / "backtest_tickets.jsonl"


@pytest.fixture(scope="session")
def policy():
    return load_policy()


@pytest.fixture(scope="session")
def policy_with():
    """policy_with(zendesk={"urgency_field_id": 101}): the shipped policy with keys replaced."""
    raw_policy = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))

    def make(**sections: dict):
        raw = copy.deepcopy(raw_policy)
        for section, values in sections.items():
            raw[section].update(values)
        return policy_from_dict(raw, source="test")

    return make


@pytest.fixture
def sample() -> Path:
    return SAMPLE


class QuietProgress:
    """Stands in for the tqdm bar; records what it was told."""

    def __init__(self, what: str, total: float | None, log: list):
        self.what, self.total, self.n, self.log = what, total, 0.0, log
        log.append(self)

    def update(self, n: float) -> None:
        self.n += n

    def set_postfix_str(self, s: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def bars() -> list:
    return []


@pytest.fixture
def progress(bars):
    return lambda what, total: QuietProgress(what, total, bars)
