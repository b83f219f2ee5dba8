"""app.infra.batching: the scripts of concurrent requests go out in one pipeline, each answered alone."""

from __future__ import annotations

import pytest
import redis
from gevent.event import AsyncResult

from app.infra.batching import ScriptBatcher

ECHO = "return ARGV[1]"
FAIL = "return redis.error_reply('nope')"


def _entry(connection, source, *args):
    sha = connection.script_load(source)
    return (sha, source, ["k"], list(args), AsyncResult())


def test_each_caller_gets_its_own_answer_or_error(fake_redis):
    batch = [_entry(fake_redis, ECHO, "a"), _entry(fake_redis, FAIL), _entry(fake_redis, ECHO, "c")]
    ScriptBatcher(fake_redis)._send(batch)
    assert batch[0][4].get() == b"a" and batch[2][4].get() == b"c"
    with pytest.raises(redis.ResponseError, match="nope"):
        batch[1][4].get()


def test_a_script_redis_forgot_is_loaded_again(fake_redis):
    entry = _entry(fake_redis, ECHO, "x")
    fake_redis.script_flush()  # as after a Redis restart
    ScriptBatcher(fake_redis)._send([entry])
    assert entry[4].get() == b"x"


def test_a_failed_connection_fails_every_caller_of_the_batch():
    down = redis.Redis(port=1, socket_connect_timeout=0.1)
    batch = [("0" * 40, ECHO, ["k"], ["a"], AsyncResult()), ("0" * 40, ECHO, ["k"], ["b"], AsyncResult())]
    ScriptBatcher(down)._send(batch)
    for *_, result in batch:
        with pytest.raises(redis.ConnectionError):
            result.get()


def test_outside_gevent_the_call_goes_straight_to_redis(fake_redis):
    assert ScriptBatcher(fake_redis).run(fake_redis.script_load(ECHO), ECHO, ["k"], ["z"]) == b"z"
