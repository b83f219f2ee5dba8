"""`create_app(settings=None)`: settings injected (tests never monkeypatch), the queues attached once.

`gunicorn 'app.web.factory:create_app()'` (the Procfile) reads settings from the environment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import redis
from flask import Flask

from app.infra.liveness import log_persistence
from app.infra.logs import configure_logging, log_event
from app.infra.metrics import OutcomeCounter
from app.infra.queueing import LANES, QueueNames, connect_web, make_queue
from app.infra.sentry import init_sentry
from app.infra.settings import MISSING_REDIS, MISSING_SECRET, Settings, SettingsError
from app.policy import load_policy
from app.timestamps import utc_now
from app.web import health, jobs_view
from app.web.body_deadline import install_body_deadline
from app.webhooks import blueprint as webhooks
from app.webhooks.intake import Intake
from app.webhooks.prescreen import Prescreen
from app.webhooks.services import Services

log = logging.getLogger("escalator.app")


def create_app(
    settings: Settings | None = None,
    *,
    redis_connection: redis.Redis | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Flask:
    if settings is None:
        settings = Settings.from_env(require_redis=redis_connection is None, require_secret=True)
    configure_logging(settings.log_format, settings.log_level)
    if not settings.accepted_secrets:
        raise SettingsError([MISSING_SECRET])
    if redis_connection is None:
        if not settings.redis_url:
            raise SettingsError([MISSING_REDIS])
        redis_connection = connect_web(settings.redis_url)
        log_persistence(settings.redis_url, log)  # once: gunicorn builds the app in its master
    init_sentry(settings, "web")

    app = Flask(__name__)
    names = QueueNames(settings.queue_name)
    app.extensions["escalator"] = Services(
        settings=settings,
        redis=redis_connection,
        queues={lane: make_queue(redis_connection, names.of(lane)) for lane in LANES},
        prescreen=Prescreen(load_policy(settings.policy_path)),
        intake=Intake(redis_connection),
        outcomes=OutcomeCounter(redis_connection),
        clock=clock or utc_now,
    )
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(health.bp)
    if settings.expose_job_status:
        app.register_blueprint(jobs_view.bp)
    install_body_deadline(app, settings.max_body_bytes)
    log_event(log, "app.started", **settings.describe())
    return app
