import redis

from app import create_app


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


def test_metrics_count_webhook_outcomes(client, post_signed):
    post_signed({"type": "zen:event-type:ticket.merged", "id": "x"})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'escalator_webhooks_total{outcome="ignored"}' in text


def test_job_view(client, post_signed):
    from tests.helpers import SAMPLES, load_json

    job_id = post_signed(load_json(SAMPLES / "ticket_created__urgent_incident.json")).json["job_id"]
    assert client.get(f"/jobs/{job_id}").json == {"job_id": job_id, "status": "queued"}
    assert client.get("/jobs/nope").status_code == 404
