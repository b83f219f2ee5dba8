"""Group commit for Redis scripts under gevent: the script calls of concurrent requests share one round trip.

Each accepted webhook runs one Lua script (app.webhooks.intake). Under gunicorn's gevent workers
many requests of one process wait on Redis at once; sending each on its own costs a system call
each way, a greenlet switch and redis-py's per-command work, which measured as the largest part
of a webhook's cost. `ScriptBatcher.run` hands the call to one sender greenlet per process, which
sends whatever has queued up in one pipeline (no MULTI: each script is atomic by itself) and
hands each caller its own answer. While one batch is in flight the next gathers, so an idle
service sends batches of one and pays two greenlet switches, and a busy one amortizes the round
trip over the requests that arrived meanwhile. Nothing is answered before its script has run.

Outside gevent (`escalator serve`, tests) the call goes straight to Redis.
"""

from __future__ import annotations

import os
from typing import Any

import redis
from redis.exceptions import NoScriptError


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("socket"))


class ScriptBatcher:
    def __init__(self, connection: redis.Redis):
        self.connection = connection
        self._pending: list[tuple[str, str, list, list, Any]] = []
        self._wake: Any = None  # gevent.event.Event, made in the process that sends
        self._sender_pid: int | None = None

    def run(self, sha: str, source: str, keys: list, args: list) -> Any:
        """EVALSHA `sha` (loading `source` if Redis lacks it) and return its answer; raises redis errors."""
        if not _gevent_patched():
            return self._evalsha(sha, source, keys, args)
        from gevent.event import AsyncResult

        result = AsyncResult()
        self._pending.append((sha, source, keys, args, result))
        self._start_sender()
        self._wake.set()
        return result.get()

    def _evalsha(self, sha: str, source: str, keys: list, args: list) -> Any:
        try:
            return self.connection.evalsha(sha, len(keys), *keys, *args)
        except NoScriptError:
            self.connection.script_load(source)
            return self.connection.evalsha(sha, len(keys), *keys, *args)

    def _start_sender(self) -> None:
        if self._sender_pid == os.getpid():
            return
        import gevent
        from gevent.event import Event

        self._sender_pid = os.getpid()
        self._pending = self._pending[-1:]  # calls queued before a fork belong to the parent
        self._wake = Event()
        gevent.spawn(self._send_forever)

    def _send_forever(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending, []
                self._send(batch)

    def _send(self, batch: list[tuple[str, str, list, list, Any]]) -> None:
        try:
            with self.connection.pipeline(transaction=False) as pipe:
                for sha, _, keys, args, _ in batch:
                    pipe.evalsha(sha, len(keys), *keys, *args)
                answers = pipe.execute(raise_on_error=False)
        except Exception as error:  # the connection failed: nobody knows what ran; each caller answers 503
            for *_, result in batch:
                result.set_exception(error)
            return
        for (sha, source, keys, args, result), answer in zip(batch, answers, strict=True):
            if isinstance(answer, NoScriptError):  # Redis restarted or flushed its scripts
                try:
                    answer = self._evalsha(sha, source, keys, args)
                except Exception as error:
                    answer = error
            if isinstance(answer, Exception):
                result.set_exception(answer)
            else:
                result.set(answer)
