"""`create_app(settings=None)`: settings injected (tests never monkeypatch), the queue attached once.

`gunicorn 'app.web.factory:create_app()'` (the Procfile) reads settings from the environment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import redis
from flask import Flask

from app.infra.logs import configure_logging
from app.infra.queueing import connect, make_queue
from app.infra.settings import MISSING_REDIS, MISSING_SECRET, Settings, SettingsError
from app.timestamps import utc_now
from app.web import health, jobs_view
from app.web.services import Services
from app.webhooks import blueprint as webhooks

log = logging.getLogger("escalator.app")


def create_app(
    settings: Settings | None = None,
    *,
    redis_connection: redis.Redis | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Flask:
    configure_logging()
    if settings is None:
        settings = Settings.from_env(require_redis=redis_connection is None, require_secret=True)
    if not settings.accepted_secrets:
        raise SettingsError([MISSING_SECRET])
    if redis_connection is None:
        if not settings.redis_url:
            raise SettingsError([MISSING_REDIS])
        redis_connection = connect(settings.redis_url)

    app = Flask(__name__)
    app.extensions["escalator"] = Services(
        settings=settings,
        redis=redis_connection,
        queue=make_queue(redis_connection, settings.queue_name),
        clock=clock or utc_now,
    )
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(health.bp)
    if settings.expose_job_status:
        app.register_blueprint(jobs_view.bp)
    log.info("app.started %s", " ".join(f"{k}={v}" for k, v in settings.describe().items()))
    return app
