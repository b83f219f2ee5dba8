"""`escalator worker` (the Procfile's worker): an RQ worker wired like the web app.

The `rq` command would ignore the TLS options Heroku's self-signed `rediss://` needs, so the
connection is built by `app.queueing.connect`. HerokuWorker turns the dyno's SIGTERM into a clean
stop of the running job, inside the 30 s shutdown window.
"""

from __future__ import annotations

import logging

from rq.serializers import JSONSerializer
from rq.worker import HerokuWorker

from app.logs import configure_logging
from app.queueing import connect, make_queue
from app.settings import Settings

log = logging.getLogger("escalator.worker")


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    configure_logging()
    log.info("worker.started %s", " ".join(f"{k}={v}" for k, v in settings.describe().items()))
    if settings.dry_run:
        log.warning(
            "worker.dry-run no Zendesk account configured (ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL, and "
            "ZENDESK_OAUTH_TOKEN or ZENDESK_EMAIL + ZENDESK_API_TOKEN): updates are logged, not sent"
        )
    connection = connect(settings.redis_url)
    worker = HerokuWorker(
        [make_queue(connection, settings.queue_name)], connection=connection, serializer=JSONSerializer
    )
    return worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
