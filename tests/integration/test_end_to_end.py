"""End to end: signed webhooks into gunicorn, a real `rq` worker process, a stub Zendesk and a
stub PagerDuty (with its Slack webhook).

Both processes run the Procfile's commands against a real Redis server. The stub behaves as
Zendesk documents (tests/stub_zendesk.py: `tags` replaces the list, Update Many's tag keys are
ignored, stale safe updates get 409). The assertions are on the ticket's final state in the stub
(priority, tags, exactly one internal note) and on what it received: one PUT per escalation, none
for duplicates, no-ops and our own echoes, also when Zendesk answers 429, 409, 500 or hangs; and
every request the stub received is declared by Zendesk's OpenAPI file. On-call: the pages,
acknowledges and resolves the stub PagerDuty received, and its alerts' final state.
"""

from __future__ import annotations

import copy
import json
import subprocess
import time
import uuid
from urllib.parse import urlsplit

import pytest
import redis
import requests
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from app import redis_keys
from app.infra.queueing import make_queue
from app.webhooks.signing import signed_headers
from tests.helpers import SAMPLES, free_port, load_json
from tests.processes import BIN, Process, process_env, procfile_command
from tests.stub_pagerduty import StubPagerDuty
from tests.stub_zendesk import INTEGRATION_USER_ID, StubZendesk

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

SECRET = "e2e-signing-secret"
ROUTING_KEY = "e2e0routing0key0000000000000000a"
UPDATED_AT = "2026-11-27T15:00:00Z"
WAIT_SECONDS = 40


class Stack:
    def __init__(
        self,
        base_url: str,
        stub: StubZendesk,
        pagerduty: StubPagerDuty,
        connection: redis.Redis,
        redis_url: str,
        env: dict,
        logs,
    ):
        self.base_url = base_url
        self.redis_url = redis_url
        self.stub = stub
        self.pagerduty = pagerduty
        self.redis = connection
        self.env = env
        self.logs = logs
        self.queue = make_queue(connection, "escalator")
        self.workers: list[Process] = []
        self.start_worker()

    @property
    def worker(self) -> Process:
        return self.workers[-1]

    def start_worker(self) -> Process:
        worker = Process(procfile_command("worker"), self.env, self.logs / f"worker{len(self.workers)}.log")
        self.workers.append(worker)
        worker.wait_for_output("Listening on")
        return worker

    def deliver(self, body: dict) -> dict:
        raw = json.dumps(body).encode()
        response = requests.post(
            self.base_url + "/webhooks/zendesk", data=raw, headers=signed_headers(SECRET, raw), timeout=10
        )
        assert response.status_code == 202, response.text
        return response.json()

    def job_result(self, job_id: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            job = Job.fetch(job_id, connection=self.redis, serializer=JSONSerializer)
            status = job.get_status()
            if status == "finished":
                return job.return_value()
            if status == "failed":
                return "failed"
            time.sleep(0.1)
        raise TimeoutError(f"job {job_id} did not finish:\n{self.worker.output()[-3000:]}")

    def puts(self, ticket_id: int) -> list[dict]:
        return self.stub.requests(method="PUT", path=f"/api/v2/tickets/{ticket_id}")

    def wait_for_successful_put(self, ticket_id: int) -> list[dict]:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            puts = self.puts(ticket_id)
            if any(p["status"] == 200 for p in puts):
                return puts
            time.sleep(0.1)
        raise TimeoutError(f"no successful PUT for ticket {ticket_id}:\n{self.worker.output()[-3000:]}")

    def notes(self, ticket_id: int) -> list[dict]:
        return [c for c in self.stub.ticket(ticket_id)["comments"] if c["author_id"] == INTEGRATION_USER_ID]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_test_url):
    logs = tmp_path_factory.mktemp("e2e")
    connection = redis.Redis.from_url(redis_test_url)
    connection.flushdb()
    stub = StubZendesk().start()
    pagerduty = StubPagerDuty(routing_keys={ROUTING_KEY}).start()
    port = free_port()
    env = process_env(
        PORT=str(port),
        REDIS_URL=redis_test_url,
        ZENDESK_WEBHOOK_SECRET=SECRET,
        ZENDESK_BASE_URL=stub.url,
        ZENDESK_OAUTH_TOKEN="e2e-oauth-token",
        ZENDESK_REQUESTS_PER_MINUTE="600",
        WEB_CONCURRENCY="2",
        PAGERDUTY_ROUTING_KEY=ROUTING_KEY,
        PAGERDUTY_EVENTS_URL=pagerduty.events_url,
        SLACK_WEBHOOK_URL=pagerduty.slack_url,
        # The tickets here are dated 2026-11, so every check would be due at once and add its reads
        # and tag writes to tests that count requests; the watchdog runs through a real RQ
        # scheduler and worker in tests/workers/test_sla_check.py.
        ESCALATOR_SLA_WATCHDOG_LEAD_MINUTES="0",
    )
    web = Process(procfile_command("web"), env, logs / "web.log")
    stack = None
    try:
        web.wait_for_url(f"http://127.0.0.1:{port}/healthz")
        stack = Stack(f"http://127.0.0.1:{port}", stub, pagerduty, connection, redis_test_url, env, logs)
        yield stack
    finally:
        for worker in stack.workers if stack else ():
            worker.stop()
        web.stop()
        stub.stop()
        pagerduty.stop()
        connection.flushdb()


@pytest.fixture(autouse=True)
def every_request_is_declared_by_the_openapi_file(stack):
    """Each test's requests to the stub, checked with undeclared properties as errors."""
    before = len(stack.stub.requests())
    yield
    problems = [p for r in stack.stub.requests()[before:] for p in r["violations"]]
    assert problems == []


def created(
    ticket_id: int,
    subject: str,
    description: str,
    *,
    time_utc: str = "2026-11-27T15:00:00Z",
    priority: str | None = None,
    tags: tuple[str, ...] = (),
) -> dict:
    body = copy.deepcopy(load_json(SAMPLES / "ticket_created__urgent_incident.json"))
    body["id"] = str(uuid.uuid4())
    body["time"] = time_utc
    body["subject"] = f"zen:ticket:{ticket_id}"
    body["detail"].update(
        id=str(ticket_id),
        subject=subject,
        description=description,
        priority=priority,
        tags=list(tags),
        created_at=time_utc,
        updated_at=UPDATED_AT,
    )
    return body


def comment(
    ticket_id: int,
    text: str,
    *,
    author_id: int = 9001,
    is_staff: bool = False,
    public: bool = True,
    priority: str | None = None,
    tags: tuple[str, ...] = (),
    actor_id: int | None = None,
) -> dict:
    body = copy.deepcopy(load_json(SAMPLES / "ticket_comment_added__end_user_time_sensitive.json"))
    body["id"] = str(uuid.uuid4())
    body["time"] = "2026-11-30T16:00:00Z"  # Monday 11:00 ET, business hours
    body["subject"] = f"zen:ticket:{ticket_id}"
    body["detail"].update(
        id=str(ticket_id),
        priority=priority,
        tags=list(tags),
        updated_at=UPDATED_AT,
        actor_id=str(actor_id or author_id),
    )
    body["event"]["comment"].update(
        id=str(ticket_id * 1000 + 1),
        body=text,
        html_body="",
        is_public=public,
        author={"id": str(author_id), "is_staff": is_staff, "name": "x"},
    )
    return body


def seed(stack: Stack, ticket_id: int, **fields) -> None:
    stack.stub.seed_ticket({"id": ticket_id, "updated_at": UPDATED_AT, **fields})


def test_urgent_ticket_gets_exactly_one_update_with_everything(stack):
    seed(stack, 8101, subject="URGENT: API returning 503")
    answer = stack.deliver(created(8101, "URGENT: API returning 503", "since 9:40 all calls fail"))

    assert stack.job_result(answer["job_id"]) == "updated"
    [put] = stack.puts(8101)
    ticket = put["body"]["ticket"]
    assert ticket["priority"] == "urgent"
    # "since 9:40" is when it began; no steps to reproduce (POLICY.md section 6)
    everything = ["urgency_urgent", "category_incident", "info_missing", "missing_steps_to_reproduce"]
    assert ticket["tags"] == everything
    assert ticket["comment"]["public"] is False
    assert '"URGENT" in the subject' in ticket["comment"]["body"]
    assert "2026-11-27T17:00:00Z" in ticket["comment"]["body"]
    assert "Missing: steps to reproduce." in ticket["comment"]["body"]
    assert ticket["safe_update"] is True and ticket["updated_stamp"] == UPDATED_AT
    final = stack.stub.ticket(8101)
    assert (final["priority"], final["tags"]) == ("urgent", everything)
    assert len(stack.notes(8101)) == 1


def test_redelivered_webhook_makes_no_second_update(stack):
    seed(stack, 8102)
    body = created(8102, "Urgent: dashboard down", "The dashboard is not loading.")
    first = stack.deliver(body)
    assert stack.job_result(first["job_id"]) == "updated"

    again = stack.deliver(body)
    assert again == {"status": "duplicate", "job_id": first["job_id"]}
    # The same comment under a new event id (the other webhook kind, or a replay) is a duplicate too.
    body["id"] = str(uuid.uuid4())
    assert stack.job_result(stack.deliver(body)["job_id"]) == "duplicate"
    assert len(stack.puts(8102)) == 1
    assert len(stack.notes(8102)) == 1


def status_changed(ticket_id: int, status: str) -> dict:
    body = copy.deepcopy(load_json(SAMPLES / "ticket_status_changed__solved.json"))
    body["id"] = str(uuid.uuid4())
    body["subject"] = f"zen:ticket:{ticket_id}"
    body["detail"].update(id=str(ticket_id), status=status.upper())
    body["event"]["current"] = status.upper()
    return body


def dedup_key(stack: Stack, ticket_id: int) -> str:
    return f"escalator/{urlsplit(stack.stub.url).netloc}/ticket/{ticket_id}"


def test_after_hours_fraud_attack_pages_once_and_solving_resolves_the_page(stack):
    seed(stack, 8103, subject="Urgent - fraud attack")
    key = dedup_key(stack, 8103)
    body = created(
        8103, "Urgent - fraud attack", "hundreds of fraudulent applications approved", time_utc="2026-11-28T07:30:00Z"
    )

    # Delivered three times: Zendesk's redelivery, and the same creation under a new event id.
    first = stack.deliver(body)
    assert stack.job_result(first["job_id"]) == "updated"
    assert stack.deliver(body) == {"status": "duplicate", "job_id": first["job_id"]}
    body["id"] = str(uuid.uuid4())
    assert stack.job_result(stack.deliver(body)["job_id"]) == "duplicate"

    [trigger] = stack.pagerduty.events()
    assert trigger["status"] == 202
    sent = trigger["body"]
    assert (sent["routing_key"], sent["event_action"], sent["dedup_key"]) == (ROUTING_KEY, "trigger", key)
    assert sent["payload"]["severity"] == "critical"
    assert sent["payload"]["summary"] == "Ticket #8103 (fraud_attack, urgent after hours): Urgent - fraud attack"
    assert sent["payload"]["custom_details"]["missing_information"] == ["example_applications", "start_time"]
    assert sent["links"] == [{"href": f"{stack.stub.url}/agent/tickets/8103", "text": "Zendesk ticket #8103"}]
    [note] = stack.notes(8103)
    assert (
        f"On-call page required: urgent fraud_attack after hours.\nOn-call paged (PagerDuty incident {key})."
        in (note["body"])
    )
    assert set(stack.stub.ticket(8103)["tags"]) == {
        "urgency_urgent",
        "category_fraud_attack",
        "after_hours",
        "on_call_paged",
        # the report names neither when it started nor an example application (POLICY.md 6)
        "info_missing",
        "missing_start_time",
        "missing_example_applications",
    }

    # A later urgent comment, still after hours: no second page.
    tags = tuple(stack.stub.ticket(8103)["tags"])
    later = comment(8103, "URGENT: they are still getting through.", priority="URGENT", tags=tags)
    later["time"] = "2026-11-28T08:10:00Z"
    later["detail"]["updated_at"] = stack.stub.ticket(8103)["updated_at"]
    assert stack.job_result(stack.deliver(later)["job_id"]) == "noop"
    assert [e["body"]["event_action"] for e in stack.pagerduty.events()] == ["trigger"]

    # The first public agent reply acknowledges the page; solving the ticket resolves it.
    reply = comment(8103, "We are on it.", author_id=9100, is_staff=True)
    reply["event"]["comment"]["id"] = "8103002"
    assert stack.job_result(stack.deliver(reply)["job_id"]) == "ignored:agent_comment"
    solved = stack.deliver(status_changed(8103, "solved"))
    assert stack.job_result(solved["job_id"]) == "ignored:status_changed"

    assert [(e["body"]["event_action"], e["body"]["dedup_key"]) for e in stack.pagerduty.events()] == [
        ("trigger", key),
        ("acknowledge", key),
        ("resolve", key),
    ]
    assert stack.pagerduty.alerts()[key]["status"] == "resolved"
    assert stack.pagerduty.alerts()[key]["events"] == ["trigger", "acknowledge", "resolve"]
    # Zendesk saw one update and one note; the agent's reply and the solve cost no call.
    assert len(stack.puts(8103)) == 1 and len(stack.notes(8103)) == 1
    # Slack got a copy of each, through its own jobs.
    wait_until(lambda: len(stack.pagerduty.slack_messages()) >= 3)
    messages = [m for m in stack.pagerduty.slack_messages() if "#8103" in m]
    assert [m.split(" ", 1)[0] for m in messages] == [":rotating_light:", ":white_check_mark:", ":heavy_check_mark:"]


def test_a_page_pagerduty_does_not_take_at_once_goes_out_later_with_a_second_note(stack):
    seed(stack, 8121)
    key = dedup_key(stack, 8121)
    stack.pagerduty.script(status=503)
    answer = stack.deliver(
        created(
            8121, "URGENT: API down", "Every call fails since 01:10 with 503 errors", time_utc="2026-11-28T07:30:00Z"
        )
    )
    assert stack.job_result(answer["job_id"]) == "updated"
    # The retry comes about a second later and may already have added its note on a slow machine.
    first_note = stack.notes(8121)[0]
    assert (
        "On-call page not accepted by PagerDuty yet (PagerDuty answered 503); it is being retried" in first_note["body"]
    )

    wait_until(lambda: len(stack.notes(8121)) == 2)
    assert [e["status"] for e in stack.pagerduty.events(dedup_key=key)] == [503, 202]
    assert stack.pagerduty.alerts()[key]["status"] == "triggered"
    second = stack.notes(8121)[1]
    assert second["body"].startswith(f"On-call paged (PagerDuty incident {key}), after retrying")
    assert second["public"] is False
    assert len(stack.puts(8121)) == 2


def test_an_urgent_ticket_out_of_scope_after_hours_is_not_paged(stack):
    seed(stack, 8122)
    answer = stack.deliver(
        created(8122, "Urgent: locked out", "password reset email never arrives", time_utc="2026-11-28T07:30:00Z")
    )
    assert stack.job_result(answer["job_id"]) == "updated"
    assert "next_business_day" in stack.stub.ticket(8122)["tags"]
    assert stack.pagerduty.events(dedup_key=dedup_key(stack, 8122)) == []


def wait_until(condition, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.1)


def test_nothing_to_change_makes_no_call(stack):
    seed(stack, 8104, priority="urgent", tags=["urgency_urgent", "category_incident"])
    answer = stack.deliver(
        comment(8104, "Still urgent: the API is down.", priority="URGENT", tags=("urgency_urgent", "category_incident"))
    )
    assert stack.job_result(answer["job_id"]) == "noop"
    assert stack.puts(8104) == []


def test_not_urgent_comment_changes_nothing(stack):
    seed(stack, 8105, priority="normal")
    answer = stack.deliver(comment(8105, "This is not urgent, just following up.", priority="NORMAL"))
    assert stack.job_result(answer["job_id"]) == "noop"
    assert stack.puts(8105) == []


def test_our_own_note_and_agent_comments_are_dropped(stack):
    seed(stack, 8106)
    own_note = comment(
        8106, 'Urgency: urgent, found "URGENT"...', author_id=INTEGRATION_USER_ID, is_staff=True, public=False
    )
    agent = comment(8106, "If this is urgent, say so.", author_id=9100, is_staff=True)
    agent["event"]["comment"]["id"] = "8106002"

    # Our id as the day's first job left it cached: an internal note is checked for being ours
    # only against the cache (with none, it is "ignored:private_comment", at no users/me call).
    stack.redis.set(redis_keys.INTEGRATION_USER_ID, INTEGRATION_USER_ID)

    assert stack.job_result(stack.deliver(own_note)["job_id"]) == "ignored:own_update"
    assert stack.job_result(stack.deliver(agent)["job_id"]) == "ignored:agent_comment"
    assert stack.puts(8106) == []


def test_time_sensitive_comment_never_lowers_an_urgent_ticket(stack):
    seed(stack, 8107, priority="urgent", tags=["urgency_urgent", "category_workflow_update"])
    answer = stack.deliver(
        comment(
            8107,
            "Time-sensitive: please change the journey threshold.",
            priority="URGENT",
            tags=("urgency_urgent", "category_workflow_update"),
        )
    )
    assert stack.job_result(answer["job_id"]) == "updated"
    [put] = stack.puts(8107)
    assert "priority" not in put["body"]["ticket"]
    final = stack.stub.ticket(8107)
    assert final["priority"] == "urgent"
    assert final["tags"] == ["urgency_urgent", "category_workflow_update", "urgency_time_sensitive"]


def test_rate_limited_update_is_retried_after_retry_after(stack):
    seed(stack, 8108)
    stack.stub.script("/api/v2/tickets/8108", method="PUT", status=429, retry_after=1)
    answer = stack.deliver(comment(8108, "URGENT: webhooks stopped working"))

    assert stack.job_result(answer["job_id"]) == "rescheduled:rate_limited"
    puts = stack.wait_for_successful_put(8108)
    assert [p["status"] for p in puts] == [429, 200]
    assert len(stack.notes(8108)) == 1


def test_conflict_rereads_the_ticket_and_decides_again(stack):
    seed(stack, 8109)
    stack.stub.script("/api/v2/tickets/8109", method="PUT", status=409)
    answer = stack.deliver(comment(8109, "URGENT: SDK errors everywhere"))

    assert stack.job_result(answer["job_id"]) == "updated"
    assert [p["status"] for p in stack.puts(8109)] == [409, 200]
    assert stack.stub.requests(method="GET", path="/api/v2/tickets/8109")


def test_server_error_is_retried_with_backoff(stack):
    seed(stack, 8110)
    stack.stub.script("/api/v2/tickets/8110", method="PUT", status=500)
    answer = stack.deliver(comment(8110, "urgent: API outage"))

    assert stack.job_result(answer["job_id"]) == "rescheduled:unavailable"
    assert [p["status"] for p in stack.wait_for_successful_put(8110)] == [500, 200]
    assert len(stack.notes(8110)) == 1


def test_hanging_zendesk_times_out_and_the_retry_writes_no_second_note(stack):
    # The stub applies the hung update after the client gave up, as a slow Zendesk would; the
    # retry's safe update then conflicts, re-reads, and finds nothing left to do.
    seed(stack, 8111)
    stack.stub.script("/api/v2/tickets/8111", method="PUT", hang=11)
    answer = stack.deliver(comment(8111, "URGENT: dashboard unavailable"))

    assert stack.job_result(answer["job_id"]) == "rescheduled:unavailable"
    deadline = time.monotonic() + WAIT_SECONDS
    while len(stack.puts(8111)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    assert stack.stub.ticket(8111)["priority"] == "urgent"
    assert len(stack.notes(8111)) == 1


def test_trigger_webhook_reads_the_comment_with_its_author(stack):
    seed(stack, 8112, subject="Webhooks", description="Webhooks are late.")
    stack.stub.seed_comment(
        8112,
        {
            "id": 8112001,
            "body": "URGENT: no webhooks since 9:00, all 503",
            "public": True,
            "created_at": "2026-11-30T16:00:00Z",
        },
        {"id": 9001, "name": "Dana", "role": "end-user"},
    )
    body = load_json(SAMPLES / "trigger__comment.json") | {"ticket_id": "8112", "comment_id": "8112001"}
    answer = stack.deliver(body)

    assert stack.job_result(answer["job_id"]) == "updated"
    [read] = stack.stub.requests(method="GET", path="/api/v2/tickets/8112/comments")
    assert (read["query"].get("include"), read["query"].get("sort_order")) == ("users", "desc")
    [put] = stack.puts(8112)
    assert put["body"]["ticket"]["priority"] == "urgent"


def test_a_ticket_with_two_category_tags_keeps_only_the_one_decided(stack):
    tags = ("category_other", "category_incident", "category_billing")
    seed(stack, 8114, tags=list(tags))
    answer = stack.deliver(comment(8114, "Still urgent, please.", tags=tags))

    assert stack.job_result(answer["job_id"]) == "updated"
    assert len(stack.puts(8114)) == 1
    assert stack.stub.ticket(8114)["tags"] == [
        "category_incident",
        "category_billing",
        "urgency_urgent",
        "info_missing",  # the comment makes it an urgent incident, with no report items
        "missing_start_time",
        "missing_steps_to_reproduce",
    ]


def test_refused_credentials_fail_the_job_visibly(stack):
    seed(stack, 8113)
    stack.stub.script("/api/v2/tickets/8113", method="PUT", status=401)
    answer = stack.deliver(comment(8113, "URGENT: locked out of the dashboard"))

    assert stack.job_result(answer["job_id"]) == "failed"
    failed = FailedJobRegistry(queue=make_queue(stack.redis, "escalator-urgent"))  # "URGENT: ..." went first
    assert answer["job_id"] in failed.get_job_ids()
    job = Job.fetch(answer["job_id"], connection=stack.redis, serializer=JSONSerializer)
    assert "AuthFailed" in job.latest_result().exc_string
    assert "worker.zendesk.auth_failed" in stack.worker.output()

    # Once the credentials are fixed, an admin requeues it with the commands the README gives.
    for queue in ("escalator-urgent", "escalator-soon", "escalator"):
        requeue = subprocess.run(
            [str(BIN / "rq"), "requeue", "--url", stack.redis_url, "--queue", queue, "-S", "json", "--all"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert requeue.returncode == 0, requeue.stdout + requeue.stderr
    assert stack.job_result(answer["job_id"]) == "updated"
    assert [p["status"] for p in stack.puts(8113)] == [401, 200]


def test_a_deploy_mid_job_reschedules_it_and_the_next_worker_finishes_it(stack):
    # Heroku sends SIGTERM to every process of the dyno; HerokuWorker lets the job run for a few
    # seconds, then interrupts it. The job must come back on the next worker, not be lost.
    seed(stack, 8115)
    stack.stub.script("/api/v2/tickets/8115", method="PUT", hang=9)
    answer = stack.deliver(comment(8115, "URGENT: API unavailable since 9:00"))
    deadline = time.monotonic() + WAIT_SECONDS
    while not stack.puts(8115) and time.monotonic() < deadline:
        time.sleep(0.1)

    old = stack.worker
    assert old.stop(timeout=20) == 0  # a clean exit
    # The worker served the earlier tests too: this ticket's line only.
    assert [line["reason"] for line in old.events("worker.job.rescheduled") if line["ticket"] == 8115] == ["shutdown"]
    assert stack.job_result(answer["job_id"]) == "rescheduled:shutdown"

    stack.start_worker()
    deadline = time.monotonic() + WAIT_SECONDS
    while len(stack.puts(8115)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    assert stack.stub.ticket(8115)["priority"] == "urgent"
    assert len(stack.notes(8115)) == 1


def test_customer_and_agent_tags_survive_and_the_ticket_ends_as_the_policy_says(stack):
    """The issue's case: an agent tags the ticket between the event and our write."""
    customer_tags = ("enterprise", "from_email")
    seed(stack, 8116, priority="normal", tags=list(customer_tags))
    agent = requests.put(f"{stack.stub.url}/api/v2/tickets/8116/tags", json={"tags": ["agent_watching"]}, timeout=5)
    assert agent.ok  # the ticket's updated_at moved on: the event's snapshot is stale now

    answer = stack.deliver(comment(8116, "URGENT: the API has been down since 9:00", tags=customer_tags))

    assert stack.job_result(answer["job_id"]) == "updated"
    assert [p["status"] for p in stack.puts(8116)] == [409, 200]
    final = stack.stub.ticket(8116)
    assert final["priority"] == "urgent"
    assert set(final["tags"]) == {
        "enterprise",
        "from_email",
        "agent_watching",
        "urgency_urgent",
        "category_incident",
        "info_missing",  # "since 9:00" is the start time; no steps to reproduce
        "missing_steps_to_reproduce",
    }
    [note] = stack.notes(8116)
    assert note["public"] is False and "URGENT" in note["body"]


def test_a_new_tickets_first_comment_costs_no_second_pass(stack):
    seed(stack, 8117)
    new_ticket = created(8117, "URGENT: webhooks failing", "Since 9:40 every webhook fails.")
    first_comment = comment(8117, "Since 9:40 every webhook fails.", actor_id=9001)
    first_comment["time"] = new_ticket["time"]
    first_comment["detail"].update(created_at=new_ticket["time"], updated_at=new_ticket["time"])

    echo = stack.deliver(first_comment)
    assert stack.job_result(echo["job_id"]) == "ignored:first_comment"
    assert stack.job_result(stack.deliver(new_ticket)["job_id"]) == "updated"

    assert [r["method"] for r in stack.stub.requests() if r["path"].startswith("/api/v2/tickets/8117")] == ["PUT"]
    assert stack.stub.ticket(8117)["priority"] == "urgent"
    assert len(stack.notes(8117)) == 1


def test_an_end_users_messaging_message_escalates(stack):
    seed(stack, 8118, priority="normal", tags=["web_widget"])
    message = load_json(SAMPLES / "messaging_ticket_message_added__end_user_urgent.json")
    message.update(id=str(uuid.uuid4()), subject="zen:ticket:8118", detail={"id": "8118"})

    assert stack.job_result(stack.deliver(message)["job_id"]) == "updated"

    assert [r["method"] for r in stack.stub.requests() if r["path"] == "/api/v2/tickets/8118"] == ["GET", "PUT"]
    final = stack.stub.ticket(8118)
    assert final["priority"] == "urgent"
    assert set(final["tags"]) == {
        "web_widget",
        "urgency_urgent",
        "category_incident",
        "info_missing",
        "missing_steps_to_reproduce",
    }
    assert len(stack.notes(8118)) == 1

    agent_reply = copy.deepcopy(message)
    agent_reply["id"] = str(uuid.uuid4())
    agent_reply["event"]["actor"] = {"id": "57608919901337", "name": "Agent", "type": "agent"}
    agent_reply["event"]["message"] = {"id": "6a4f6e01dae152f024959c11", "body": "Is it still urgent?"}
    assert stack.job_result(stack.deliver(agent_reply)["job_id"]) == "ignored:agent_message"
    assert len(stack.puts(8118)) == 1


def test_a_later_comment_that_supplies_the_missing_steps_clears_their_tags(stack):
    """POLICY.md section 6: the report's missing item is tagged, and the end user's next comment,
    with no urgency of its own, supplies it: the ticket ends with neither tag, and two notes."""
    seed(stack, 8119, subject="URGENT: API returning 503", tags=["enterprise"])
    new_ticket = created(8119, "URGENT: API returning 503", "since 9:40 all calls fail", tags=("enterprise",))
    assert stack.job_result(stack.deliver(new_ticket)["job_id"]) == "updated"
    opened = stack.stub.ticket(8119)
    assert opened["tags"] == [
        "enterprise",
        "urgency_urgent",
        "category_incident",
        "info_missing",
        "missing_steps_to_reproduce",
    ]

    steps = comment(
        8119,
        "Steps to reproduce:\n1. Call POST /v1/evaluations\n2. Observe the 502",
        priority="URGENT",
        tags=tuple(opened["tags"]),
    )
    steps["detail"]["updated_at"] = opened["updated_at"]  # the snapshot shows the ticket as it now is
    assert stack.job_result(stack.deliver(steps)["job_id"]) == "updated"

    final = stack.stub.ticket(8119)
    assert (final["priority"], final["tags"]) == ("urgent", ["enterprise", "urgency_urgent", "category_incident"])
    assert [p["status"] for p in stack.puts(8119)] == [200, 200]
    first, second = stack.notes(8119)
    assert "Missing: steps to reproduce." in first["body"]
    assert "Supplied in this message: steps to reproduce" in second["body"]
    assert not first["public"] and not second["public"]
