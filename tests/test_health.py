import redis

from app.web.factory import create_app


def test_healthz_answers_without_redis(settings, now):
    app = create_app(settings, redis_connection=redis.Redis(port=1, socket_connect_timeout=0.2), clock=lambda: now)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_503_with_the_reason_when_redis_is_down(settings, now):
    app = create_app(settings, redis_connection=redis.Redis(port=1, socket_connect_timeout=0.2), clock=lambda: now)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["redis"] == "unreachable (ConnectionError)"


def test_readyz_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json["redis"] == "ok"


def test_readyz_says_whether_a_scheduler_runs_without_changing_its_status(app, client, fake_redis):
    from rq.scheduler import RQScheduler

    response = client.get("/readyz")
    assert (response.status_code, response.json["scheduler"]) == (200, "not running")  # the web is still ready
    names = [queue.name for queue in app.extensions["escalator"].queues.values()]
    for name in names[:-1]:
        fake_redis.set(RQScheduler.get_locking_key(name), "escalator-host-1", ex=15)
    assert client.get("/readyz").json["scheduler"] == "not running"  # one queue has none
    fake_redis.set(RQScheduler.get_locking_key(names[-1]), "escalator-host-1", ex=15)
    assert client.get("/readyz").json["scheduler"] == "running"


def test_metrics_count_webhook_outcomes(client, post_signed):
    post_signed({"type": "zen:event-type:ticket.merged", "id": "x"})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'escalator_webhooks_total{outcome="ignored"}' in text


def test_job_view_is_off_unless_enabled(client):
    assert client.get("/jobs/anything").status_code == 404


def test_job_view(settings, fake_redis, now):
    from dataclasses import replace

    from tests.helpers import SAMPLES, post_webhook

    app = create_app(replace(settings, expose_job_status=True), redis_connection=fake_redis, clock=lambda: now)
    client = app.test_client()
    body = (SAMPLES / "ticket_created__urgent_incident.json").read_bytes()
    job_id = post_webhook(client, body, timestamp=now.strftime("%Y-%m-%dT%H:%M:%SZ")).json["job_id"]
    assert client.get(f"/jobs/{job_id}").json == {"job_id": job_id, "status": "queued"}
    assert client.get("/jobs/nope").status_code == 404


def test_metrics_show_job_states_and_results(client, post_signed, queue):
    from app.infra.metrics import record_job_result
    from tests.helpers import SAMPLES, load_json

    post_signed(load_json(SAMPLES / "ticket_created__urgent_incident.json"))
    record_job_result(queue.connection, "updated")
    record_job_result(queue.connection, "updated")
    record_job_result(queue.connection, "failed")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'escalator_jobs{state="queued"} 1.0' in text
    assert 'escalator_jobs{state="failed"} 0.0' in text
    assert 'escalator_worker_jobs_total{result="updated"} 2.0' in text
    assert 'escalator_worker_jobs_total{result="failed"} 1.0' in text
    assert "escalator_redis_up 1.0" in text


def test_metrics_say_when_redis_is_down(settings, now):
    app = create_app(settings, redis_connection=redis.Redis(port=1, socket_connect_timeout=0.2), clock=lambda: now)
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert "escalator_redis_up 0.0" in response.get_data(as_text=True)


def test_webhook_counts_add_up_across_web_processes(settings, fake_redis, now):
    from app.webhooks.signing import signed_headers
    from tests.helpers import SECRET

    first = create_app(settings, redis_connection=fake_redis, clock=lambda: now)
    second = create_app(settings, redis_connection=fake_redis, clock=lambda: now)
    for app in (first, second):
        app.test_client().post("/webhooks/zendesk", data=b"{}", headers=signed_headers("wrong", b"{}"))
    raw = b'{"type": "zen:event-type:ticket.merged"}'
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    first.test_client().post("/webhooks/zendesk", data=raw, headers=signed_headers(SECRET, raw, stamp))
    first.extensions["escalator"].outcomes.flush()  # what its background thread does every second
    text = second.test_client().get("/metrics").get_data(as_text=True)
    assert 'escalator_webhooks_total{outcome="invalid-signature"} 2.0' in text
    assert 'escalator_webhooks_total{outcome="ignored"} 1.0' in text
