"""The scheduler: moves due jobs (every retry, rate-limit wait and backoff) onto their queues, in
a thread of every `escalator worker`, so it lives exactly as long as a worker does.

Why not RQ's own (`worker.work(with_scheduler=True)`): it runs in a forked child that dies on the
first Redis error it cannot retry and is restarted only at the worker's next maintenance, up to
14 minutes later; and its lock lives 61 s, so after a crash nobody schedules for a minute or more.

This one, every SCHEDULER_INTERVAL_SECONDS:

- takes or renews the lock of each queue (`rq:scheduler-lock:<queue>`, RQ's key and RQ's rule:
  the value is the holder's name, so RQ's own schedulers see it as taken). The lock lives
  SCHEDULER_LOCK_SECONDS: every worker's scheduler is a standby that takes over within that
  time after the holder dies, and at once after it stops cleanly (it releases its locks);
- writes its heartbeat to RQ's scheduler hash (`rq:scheduler:<name>`: pid, host, last heartbeat),
  which `escalator zendesk doctor` reads;
- moves the due jobs of the queues it holds (RQ's `RQScheduler.enqueue_scheduled_jobs`);
- every REAPER_INTERVAL_SECONDS, runs the reaper on the queues it holds (workers.reaper).

A Redis error is logged and retried after a short backoff; any other error is logged and the
next tick goes on. Nothing ends the loop but `stop()`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

import redis
from rq import Queue
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from app import defaults
from app.infra.logs import log_event
from app.infra.queueing import make_queue
from workers.reaper import reap

log = logging.getLogger("escalator.scheduler")

# Take the lock when it is free, renew it when it is ours: 1 taken, 2 renewed, 0 held by another.
_ACQUIRE_OR_RENEW = """
local holder = redis.call('GET', KEYS[1])
if not holder then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
    return 1
elseif holder == ARGV[1] then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    return 2
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Scheduler:
    def __init__(
        self,
        connection: redis.Redis,
        queue_names: list[str],
        *,
        name: str | None = None,
        lock_seconds: int = defaults.SCHEDULER_LOCK_SECONDS,
        reap: Callable[[Queue], object] = reap,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name = name or f"escalator-{socket.gethostname()}-{os.getpid()}"
        self.connection = connection
        self.queue_names = list(queue_names)
        self.lock_seconds = lock_seconds
        self._reap = reap
        self._clock = clock
        self._rq = RQScheduler(self.queue_names, connection=connection, serializer=JSONSerializer, name=self.name)
        self._acquire = connection.register_script(_ACQUIRE_OR_RENEW)
        self._release = connection.register_script(_RELEASE)
        self.held: set[str] = set()
        self._last_reap = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        """One pass: locks, heartbeat, due jobs, and (now and then) the reaper."""
        held = {
            name
            for name in self.queue_names
            if self._acquire(keys=[self._lock_key(name)], args=[self.name, self.lock_seconds])
        }
        if held != self.held:
            log_event(log, "scheduler.locks", scheduler=self.name, holds=",".join(sorted(held)) or "none (standby)")
            self.held = held
        self._rq.register_birth()  # RQ's hash, renewed: pid, host, last heartbeat
        if not held:
            return
        self._rq.prepare_registries(sorted(held))
        self._rq.enqueue_scheduled_jobs()
        if self._clock() - self._last_reap >= defaults.REAPER_INTERVAL_SECONDS:
            self._last_reap = self._clock()
            for name in sorted(held):
                self._reap(make_queue(self.connection, name))

    def run(self) -> None:
        """Tick until `stop()`; Redis errors are waited out, nothing ends the loop."""
        backoff = defaults.SCHEDULER_INTERVAL_SECONDS
        while not self._stop.is_set():
            try:
                self.tick()
                backoff = defaults.SCHEDULER_INTERVAL_SECONDS
            except redis.RedisError as error:
                log_event(
                    log,
                    "scheduler.redis_error",
                    level=logging.ERROR,
                    scheduler=self.name,
                    error=type(error).__name__,
                    retry_in_seconds=round(backoff),
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, defaults.SCHEDULER_REDIS_RETRY_MAX_SECONDS)
                continue
            except Exception:
                log_event(log, "scheduler.error", level=logging.ERROR, exc_info=True, scheduler=self.name)
            self._stop.wait(defaults.SCHEDULER_INTERVAL_SECONDS)
        self._release_locks()

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self.run, name="escalator-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        """Stop the loop and give up the locks, so a standby takes over at its next tick."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _release_locks(self) -> None:
        try:
            for name in self.held:
                self._release(keys=[self._lock_key(name)], args=[self.name])
            self._rq.register_death()
        except redis.RedisError as error:
            log_event(
                log,
                "scheduler.release_failed",
                level=logging.WARNING,
                scheduler=self.name,
                error=type(error).__name__,
                locks_expire_in_seconds=self.lock_seconds,
            )
        self.held = set()

    @staticmethod
    def _lock_key(queue_name: str) -> str:
        return str(RQScheduler.get_locking_key(queue_name))
