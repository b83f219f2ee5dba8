"""The fault suite's stack and its bookkeeping.

`FaultStack` runs what production runs, on loopback: the Procfile's `web` (gunicorn) and `worker`
(`escalator worker`, two of them) against a redis-server of the test's own (append-only file on,
fsync always, `noeviction`: the README's requirement), and the stub Zendesk, which behaves as
Zendesk documents. A case sends escalations (each a new ticket whose subject says URGENT) as
Zendesk would, signed, redelivering what was not answered 2xx; injects its fault; and then
`settle()` waits until nothing is queued, scheduled or running any more.

`tally()` reads the verdict from Zendesk's side only, the stub's final tickets: a ticket escalated
exactly once (priority urgent, the urgency tag, exactly one internal note by the integration
user) is *applied*; more than one note is *duplicated*; none (or not urgent) is *lost*.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import redis
import requests
from rq import Queue
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from app.webhooks.signing import signed_headers
from tests.helpers import SAMPLES, free_port, load_json
from tests.processes import Process, RedisServer, process_env, procfile_command
from tests.stub_pagerduty import StubPagerDuty
from tests.stub_zendesk import INTEGRATION_USER_ID, StubZendesk

SECRET = "fault-suite-secret"
ROUTING_KEY = "fault0suite0routing0key000000000"
UPDATED_AT = "2026-11-27T15:00:00Z"
AFTER_HOURS = "2026-11-28T07:30:00Z"  # Saturday 02:30 in New York: an urgent incident pages on-call
ZENDESK_DELIVERY_TIMEOUT_SECONDS = 10  # Zendesk gives up on a webhook after this long


@dataclass(frozen=True)
class Tally:
    sent: int  # events sent (a redelivery of the same event is not a new one)
    applied: int
    duplicated: int
    lost: int


@dataclass
class Delivery:
    event_id: str
    ticket_id: int
    answers: list[int] = field(default_factory=list)  # HTTP status of each try (0: no answer)
    outcomes: list[str] = field(default_factory=list)  # the answer's "status": accepted, duplicate
    seconds: list[float] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return any(status == 202 or status == 200 for status in self.answers)


def escalation(ticket_id: int, *, at: str = UPDATED_AT) -> dict:
    """A `ticket.created` event webhook for a new ticket whose subject says URGENT (an incident),
    created `at` (business hours by default; AFTER_HOURS pages on-call)."""
    body = copy.deepcopy(load_json(SAMPLES / "ticket_created__urgent_incident.json"))
    body["id"] = str(uuid.uuid4())
    body["time"] = at
    body["subject"] = f"zen:ticket:{ticket_id}"
    body["detail"].update(id=str(ticket_id), created_at=at, updated_at=UPDATED_AT)
    return body


def urgent_comment(ticket_id: int, comment_id: int) -> dict:
    """A `ticket.comment_added` event webhook: an end user's public comment saying URGENT."""
    body = copy.deepcopy(load_json(SAMPLES / "ticket_comment_added__end_user_time_sensitive.json"))
    body["id"] = str(uuid.uuid4())
    body["time"] = "2026-11-30T16:00:00Z"
    body["subject"] = f"zen:ticket:{ticket_id}"
    body["detail"].update(id=str(ticket_id), priority=None, tags=[], updated_at=UPDATED_AT, actor_id="9001")
    body["event"]["comment"].update(
        id=str(comment_id),
        body="URGENT: the API is down for all our customers",
        html_body="",
        is_public=True,
        author={"id": "9001", "is_staff": False, "name": "Dana"},
    )
    return body


class FaultStack:
    def __init__(self, directory: Path, *, workers: int = 2, **env: str):
        self.directory = directory
        (directory / "redis").mkdir(exist_ok=True)
        self.redis_server = RedisServer(
            directory / "redis", appendonly="yes", appendfsync="always", maxmemory_policy="noeviction"
        ).start()
        self.redis = redis.Redis.from_url(self.redis_server.url, socket_timeout=5)
        self.stub = StubZendesk().start()
        self.pagerduty = StubPagerDuty(routing_keys={ROUTING_KEY}).start()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = process_env(
            PORT=str(self.port),
            REDIS_URL=self.redis_server.url,
            ZENDESK_WEBHOOK_SECRET=SECRET,
            ZENDESK_BASE_URL=self.stub.url,
            ZENDESK_OAUTH_TOKEN="fault-suite-token",
            ZENDESK_REQUESTS_PER_MINUTE="2500",
            WEB_CONCURRENCY="2",
            PAGERDUTY_ROUTING_KEY=ROUTING_KEY,
            PAGERDUTY_EVENTS_URL=self.pagerduty.events_url,
            # The tickets are dated 2026-11: every SLA check would be due at once and add reads and
            # tag writes to what the cases count (the watchdog has its own tests).
            ESCALATOR_SLA_WATCHDOG_LEAD_MINUTES="0",
            **env,
        )
        self.web = Process(procfile_command("web"), self.env, directory / "web.log")
        self.web.wait_for_url(self.url + "/healthz", timeout=30)
        self.workers: list[Process] = []
        for _ in range(workers):
            self.start_worker()
        self.deliveries: dict[str, Delivery] = {}
        self.escalated: set[int] = set()  # tickets whose events ask for an escalation
        self._lock = threading.Lock()

    # -- processes ------------------------------------------------------------------------------

    def start_worker(self) -> Process:
        worker = Process(procfile_command("worker"), self.env, self.directory / f"worker{len(self.workers)}.log")
        self.workers.append(worker)
        worker.wait_for_output("Listening on", timeout=30)
        return worker

    def live_workers(self) -> list[Process]:
        return [w for w in self.workers if w.popen.poll() is None]

    @staticmethod
    def horse_of(worker: Process) -> int | None:
        found = subprocess.run(["pgrep", "-P", str(worker.popen.pid)], capture_output=True, text=True).stdout.split()
        return int(found[0]) if found else None

    def busy_worker(self) -> Process:
        """The worker whose work horse is running a job right now (one job in flight)."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            busy = [w for w in self.live_workers() if self.horse_of(w)]
            if len(busy) == 1:
                return busy[0]
            time.sleep(0.05)
        raise TimeoutError("no single busy worker")

    def kill_worker(self, worker: Process, *, horse_too: bool = True) -> None:
        """SIGKILL, as an out-of-memory kill or a crashed dyno: no clean-up of any kind."""
        horse = self.horse_of(worker)
        os.kill(worker.popen.pid, signal.SIGKILL)
        if horse and horse_too:
            os.kill(horse, signal.SIGKILL)
        worker.popen.wait()

    def kill_horse(self, worker: Process) -> None:
        """SIGKILL the work horse alone (its worker lives), as an out-of-memory kill of the job."""
        horse = self.horse_of(worker)
        assert horse is not None
        os.kill(horse, signal.SIGKILL)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.web.stop()
        self.stub.stop()
        self.pagerduty.stop()
        self.redis_server.stop()

    # -- Zendesk's side -------------------------------------------------------------------------

    def seed(self, ticket_id: int) -> None:
        """The ticket in Zendesk as its `escalation` event shows it (a re-read must find the same)."""
        detail = load_json(SAMPLES / "ticket_created__urgent_incident.json")["detail"]
        self.stub.seed_ticket(
            {
                "id": ticket_id,
                "subject": detail["subject"],
                "description": detail["description"],
                "created_at": UPDATED_AT,
                "updated_at": UPDATED_AT,
            }
        )

    def deliver(self, body: dict, *, escalates: bool = True, timeout: float = ZENDESK_DELIVERY_TIMEOUT_SECONDS) -> int:
        """One try of a delivery, as Zendesk makes it: signed, a 10 s timeout. Returns the status
        (0 when no answer came in time)."""
        ticket_id = int(body["detail"]["id"])
        with self._lock:
            delivery = self.deliveries.setdefault(body["id"], Delivery(body["id"], ticket_id))
            if escalates:
                self.escalated.add(ticket_id)
        raw = json.dumps(body).encode()
        started = time.monotonic()
        outcome = ""
        try:
            response = requests.post(
                self.url + "/webhooks/zendesk", data=raw, headers=signed_headers(SECRET, raw), timeout=timeout
            )
            status = response.status_code
            if status == 202:
                outcome = response.json().get("status", "")
        except requests.RequestException:
            status = 0
        with self._lock:
            delivery.answers.append(status)
            delivery.outcomes.append(outcome)
            delivery.seconds.append(time.monotonic() - started)
        return status

    def redeliver_refused(self, bodies: list[dict], *, within: float = 120) -> None:
        """Zendesk redelivers what it got no 2xx for (a 503 with Retry-After, a timeout): again
        until every one is accepted."""
        deadline = time.monotonic() + within
        pending = [b for b in bodies if not self.deliveries[b["id"]].accepted]
        while pending:
            assert time.monotonic() < deadline, f"{len(pending)} deliveries still refused"
            for body in pending:
                self.deliver(body)
            pending = [b for b in pending if not self.deliveries[b["id"]].accepted]
            if pending:
                time.sleep(1)

    # -- the verdict ----------------------------------------------------------------------------

    def pending_jobs(self) -> int:
        """Jobs queued, scheduled or running, on every queue RQ knows."""
        total = 0
        for queue in self._queues():
            total += queue.count
            total += ScheduledJobRegistry(queue=queue).get_job_count(cleanup=False)
            total += StartedJobRegistry(queue=queue).get_job_count(cleanup=False)
            total += self.redis.llen(queue.intermediate_queue_key)
        return total

    def scheduled_jobs(self) -> int:
        return sum(ScheduledJobRegistry(queue=queue).get_job_count(cleanup=False) for queue in self._queues())

    def _queues(self) -> list[Queue]:
        return [
            Queue.from_queue_key(key.decode(), connection=self.redis, serializer=JSONSerializer)
            for key in self.redis.smembers("rq:queues")
        ]

    def settle(self, timeout: float = 120) -> float:
        """Wait until every escalated ticket has a note and no job is left anywhere; seconds waited."""
        started = time.monotonic()
        quiet_since = None
        while True:
            done = all(self.notes(t) for t in self.escalated) and self.pending_jobs() == 0
            if done:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= 1.5:  # nothing left that could still write
                    return time.monotonic() - started
            else:
                quiet_since = None
            if time.monotonic() - started > timeout:
                raise TimeoutError(
                    f"not settled in {timeout} s: {self.pending_jobs()} jobs pending, "
                    f"{sum(1 for t in self.escalated if not self.notes(t))} tickets without a note\n"
                    + "\n".join(w.output()[-3000:] for w in self.workers)
                )
            time.sleep(0.25)

    def notes(self, ticket_id: int) -> list[dict]:
        """The ticket's escalation notes (internal notes by the integration user). The second note
        a retried page adds when PagerDuty finally takes it is the page's, not an escalation."""
        return [
            c
            for c in self.stub.ticket(ticket_id)["comments"]
            if c["author_id"] == INTEGRATION_USER_ID and not c["body"].startswith("On-call paged (PagerDuty")
        ]

    def pages(self, ticket_id: int) -> int:
        """The alerts PagerDuty opened for the ticket: a trigger sent again (its answer was lost)
        joins the open alert with its dedup key, as PagerDuty documents, and pages nobody again."""
        key = f"escalator/{self.stub.url.split('://')[1]}/ticket/{ticket_id}"
        return 1 if key in self.pagerduty.alerts() else 0

    def tally(self, *, paged: bool = False) -> Tally:
        """With `paged`, an escalation also needs the alert PagerDuty opened for its page."""
        applied = duplicated = lost = 0
        for ticket_id in self.escalated:
            ticket = self.stub.ticket(ticket_id)
            notes = len(self.notes(ticket_id))
            pages = self.pages(ticket_id) if paged else 1
            escalated = ticket["priority"] == "urgent" and "urgency_urgent" in ticket["tags"]
            if notes == 0 or pages == 0 or not escalated:
                lost += 1
            elif notes == 1 and pages == 1:
                applied += 1
            else:
                duplicated += 1
        return Tally(sent=len(self.deliveries), applied=applied, duplicated=duplicated, lost=lost)

    def openapi_violations(self) -> list[str]:
        return self.stub.violations()


RESULTS = os.environ.get("ESCALATOR_FAULT_RESULTS")


def record(case: str, tally: Tally, **measured: float) -> None:
    """Append a case's tally (and what it measured) to ESCALATOR_FAULT_RESULTS, when set:
    `python -m tests.faults.report` makes docs/reliability.md's table from that file."""
    if not RESULTS:
        return
    path = Path(RESULTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps({"case": case, **asdict(tally), **{k: round(v, 1) for k, v in measured.items()}}) + "\n")
