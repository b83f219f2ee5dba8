"""workers.reruns: a job cut off from outside runs again; every other failure still fails."""

import logging

import pytest
import redis
from rq.exceptions import AbandonedJobError

from app import defaults
from app.infra.queueing import JOB_FUNCTION, make_queue
from app.zendesk import AuthFailed
from workers.jobs import GaveUp
from workers.reruns import INTERRUPTIONS, allow_rerun, rerun_interrupted


@pytest.fixture
def job(fake_redis):
    return make_queue(fake_redis, "reruns").enqueue(JOB_FUNCTION, {"kind": "created"})


def test_a_cut_off_job_gets_one_retry_at_once_and_it_is_counted(job, caplog):
    with caplog.at_level(logging.WARNING, logger="escalator"):
        assert allow_rerun(job, "abandoned") is True
    assert (job.retries_left, job.retry_intervals, job.meta[INTERRUPTIONS]) == (1, None, 1)
    assert f"worker.job.interrupted job={job.id} reason=abandoned interruptions=1" in caplog.text


def test_a_job_cut_off_too_often_fails_like_any_other(job, caplog):
    job.meta[INTERRUPTIONS] = defaults.MAX_INTERRUPTED_RUNS
    assert allow_rerun(job, "work_horse_killed") is False
    assert job.retries_left is None  # RQ fails it into the failed registry
    assert "worker.job.interrupted_too_often" in caplog.text


@pytest.mark.parametrize(
    "error", [AbandonedJobError(), redis.ConnectionError("gone"), redis.TimeoutError("Timeout reading from socket")]
)
def test_the_handler_re_runs_what_was_cut_off(job, error):
    assert rerun_interrupted(job, type(error), error, None) is True  # RQ goes on with its own handling
    assert job.retries_left == 1


@pytest.mark.parametrize(
    "error", [GaveUp("unavailable after 30 attempts"), AuthFailed("GET /x: 401", 401), KeyError("a bug")]
)
def test_terminal_errors_and_bugs_still_fail(job, error):
    assert rerun_interrupted(job, type(error), error, None) is True
    assert job.retries_left is None and INTERRUPTIONS not in job.meta
