"""Every benchmark runs (in its --quick mode), so none rots; the figures themselves live in docs/performance.md."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.cli.classify import classify_line
from app.policy import load_policy
from tests.helpers import REPO

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _run(module: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", module, "--quick", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_policy_engine_benchmark_runs():
    assert "engine / floor" in _run("bench.classify")


def test_the_decision_corpus_is_input_classify_answers_line_by_line():
    lines = _run("bench.decision_corpus").removesuffix("\n").split("\n")  # as classify reads it: "\u2028" is text
    assert len(lines) > 5000
    policy = load_policy()
    answers = [classify_line(line, number, policy) for number, line in enumerate(lines, start=1)]
    assert [a for a in answers if "error" in a] == []
    assert {a["urgency"] for a in answers} == {"urgent", "time_sensitive", "none"}


def test_the_intake_benchmark_runs(redis_test_url):
    output = _run("bench.intake", "--redis-url", redis_test_url)
    assert "| median |" in output and "| webhook |" in output


def test_the_slow_clients_benchmark_runs(redis_test_url):
    assert "| 20 | 20 | 5 of 5 |" in _run("bench.slow_clients", "--redis-url", redis_test_url)


def test_the_pipeline_benchmarks_run(redis_test_url):
    output = _run("bench.pipeline", "--redis-url", redis_test_url)
    for title in ("Webhook to Zendesk PUT", "Drain of a", "Zendesk calls per event", "Resident memory", "An urgent"):
        assert title in output
    assert "| escalation | 1 | updated |" in output and "| duplicate (redelivery) | 0 | duplicate |" in output
